namespace DapperTenants.Catalog;

/// <summary>
/// What the audit reads besides the catalog model's tables: the server, the app login and its rights, and the objects
/// that reach the tables (foreign keys, views, functions). Names are quoted as PostgreSQL would.
/// </summary>
/// <param name="Database">The database name.</param>
/// <param name="QuotedDatabase">The database name as SQL writes it.</param>
/// <param name="ServerVersionNum"><c>server_version_num</c>.</param>
/// <param name="ServerVersion"><c>server_version</c>.</param>
/// <param name="SignedContextInstalled">The signed context's verifier, <c>dapper_tenants.tenant_of(text)</c>, exists.</param>
/// <param name="Tables">The catalog model.</param>
/// <param name="ForeignKeys">Foreign keys into tables with Row-Level Security.</param>
/// <param name="Views">Views and materialized views that read tables with Row-Level Security.</param>
/// <param name="Functions">SECURITY DEFINER functions outside the system schemas and extensions.</param>
/// <param name="AppRole">The app login, when one was given.</param>
internal sealed record AuditCatalog(
    string Database,
    string QuotedDatabase,
    int ServerVersionNum,
    string ServerVersion,
    bool SignedContextInstalled,
    CatalogTables Tables,
    IReadOnlyList<AuditCatalog.ForeignKey> ForeignKeys,
    IReadOnlyList<AuditCatalog.DependentView> Views,
    IReadOnlyList<AuditCatalog.DefinerFunction> Functions,
    AuditCatalog.AppLogin? AppRole)
{
    /// <summary>A foreign key whose referenced table has Row-Level Security.</summary>
    internal sealed record ForeignKey(string Name, string FromTable, uint ToTableOid, IReadOnlyList<int> ReferencedColumns);

    /// <summary>A view or materialized view that reads a table with Row-Level Security.</summary>
    internal sealed record DependentView(
        string Name, bool IsMaterialized, string Owner, bool OwnerBypassesRls, bool SecurityInvoker, uint TableOid, bool OwnerActsAsTableOwner);

    /// <summary>A SECURITY DEFINER function, and the tables with Row-Level Security not forced that its owner acts as the owner of.</summary>
    internal sealed record DefinerFunction(string Signature, string Owner, bool OwnerBypassesRls, IReadOnlyList<uint> UnforcedTablesOwned);

    /// <summary>The app login's rights on one table with Row-Level Security.</summary>
    internal sealed record TablePrivileges(uint TableOid, bool ActsAsOwner, bool Truncate, bool References, bool Trigger = false);

    /// <summary>A role the app login is a member of, directly or through other roles, and the first chain of grants that leads there.</summary>
    /// <param name="Name">The role, unquoted.</param>
    /// <param name="Path">The chain of role names from the login to <see cref="Name"/>, both included (just the login for its own attributes).</param>
    /// <param name="IsSuperuser">The role is a superuser.</param>
    /// <param name="BypassesRls">The role has BYPASSRLS.</param>
    /// <param name="CanCreateRole">The role has CREATEROLE.</param>
    internal sealed record RoleChain(string Name, IReadOnlyList<string> Path, bool IsSuperuser, bool BypassesRls, bool CanCreateRole);

    /// <summary>What the app login could do with the support access path.</summary>
    /// <param name="MayBegin">It may execute <c>dapper_tenants.begin_support_session</c> (directly, through a role, or PUBLIC).</param>
    /// <param name="LogPrivileges">Its privileges on <c>dapper_tenants.access_log</c> (SELECT, INSERT, UPDATE, DELETE, TRUNCATE).</param>
    /// <param name="SupportRoles">The roles named by support policies that it is a member of.</param>
    internal sealed record SupportReach(bool MayBegin, IReadOnlyList<string> LogPrivileges, IReadOnlyList<string> SupportRoles);

    /// <summary>A table with Row-Level Security and policies but no tenant column: isolated, if at all, by another scheme.</summary>
    internal sealed record OtherTable(string Name, IReadOnlyList<string> Policies);

    /// <summary>Tables with Row-Level Security and policies that are not tenant tables (no tenant column).</summary>
    public IReadOnlyList<OtherTable> OtherTables { get; init; } = [];

    /// <summary>The role the application logs in as.</summary>
    /// <param name="Name">The name as given.</param>
    /// <param name="QuotedName">The name as SQL writes it.</param>
    /// <param name="Exists">The role exists (when it does not, nothing else is read).</param>
    /// <param name="IsSuperuser">A superuser.</param>
    /// <param name="BypassesRls">BYPASSRLS.</param>
    /// <param name="Privileges">Its rights on each table with Row-Level Security.</param>
    /// <param name="PoliciesApplying">The OIDs of policies that name one of its roles (PUBLIC aside).</param>
    /// <param name="CanCreateTemp">It may create temporary objects in the database (TEMP, PUBLIC's by default).</param>
    /// <param name="CanCreateSchema">It may create schemas in the database (CREATE on the database).</param>
    /// <param name="ExecutableBuiltIns">The SQL-executing built-ins (<see cref="SqlExecutingBuiltIns"/>) it may execute, as <c>pg_catalog.name(types)</c>.</param>
    /// <param name="SearchPath">Its effective <c>search_path</c> setting.</param>
    /// <param name="CreatableSchemas">The schemas outside the system ones in which it may CREATE.</param>
    /// <param name="OwnSchemaExists">A schema named like the role exists (what <c>"$user"</c> in a search_path finds).</param>
    internal sealed record AppLogin(
        string Name,
        string QuotedName,
        bool Exists,
        bool IsSuperuser,
        bool BypassesRls,
        IReadOnlyList<TablePrivileges> Privileges,
        IReadOnlySet<uint> PoliciesApplying,
        bool CanCreateTemp,
        bool CanCreateSchema,
        IReadOnlyList<string> ExecutableBuiltIns,
        string SearchPath,
        IReadOnlyList<string> CreatableSchemas,
        bool OwnSchemaExists)
    {
        /// <summary>The roles it is a member of through chains of grants, and itself when it has CREATEROLE.</summary>
        public IReadOnlyList<RoleChain> Chains { get; init; } = [];

        /// <summary>What it could do with the support access path, when that is installed.</summary>
        public SupportReach? Support { get; init; }

        /// <summary>The chain of grants from the login to <paramref name="role"/>, or <see langword="null"/>.</summary>
        public RoleChain? ChainTo(string role) => Chains.FirstOrDefault(c => c.Name == role);
    }
}
