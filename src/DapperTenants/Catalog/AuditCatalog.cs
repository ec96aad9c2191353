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
/// <param name="Functions">Functions and procedures outside the system schemas and extensions, SECURITY DEFINER or not (those call each other).</param>
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
    IReadOnlyList<AuditCatalog.Function> Functions,
    AuditCatalog.AppLogin? AppRole)
{
    /// <summary>A foreign key whose referenced table has Row-Level Security.</summary>
    internal sealed record ForeignKey(string Name, string FromTable, uint ToTableOid, IReadOnlyList<int> ReferencedColumns);

    /// <summary>A view or materialized view that reads (has in a range table, not merely a row type of) a table with Row-Level Security.</summary>
    internal sealed record DependentView(
        string Name, bool IsMaterialized, string Owner, bool OwnerBypassesRls, bool SecurityInvoker, uint TableOid, bool OwnerActsAsTableOwner)
    {
        /// <summary>The roles other than its owner granted SELECT on it, quoted, <c>PUBLIC</c> for everyone.</summary>
        public IReadOnlyList<string> Readers { get; init; } = ["PUBLIC"];
    }

    /// <summary>A function or procedure outside the system schemas and extensions.</summary>
    /// <param name="Oid">Its OID.</param>
    /// <param name="Signature">Its name and argument types as SQL writes them.</param>
    /// <param name="Schema">Its schema, unquoted.</param>
    /// <param name="Name">Its name, unquoted.</param>
    /// <param name="Owner">Its owner.</param>
    /// <param name="OwnerBypassesRls">Its owner is a superuser or has BYPASSRLS.</param>
    /// <param name="SecurityDefiner">It runs with its owner's rights.</param>
    /// <param name="Language">Its language (<c>sql</c>, <c>plpgsql</c>, <c>c</c>…).</param>
    /// <param name="Body">Its body as text (<c>prosrc</c>); empty for a SQL-standard body.</param>
    /// <param name="IsAtomic">A SQL-standard body (<c>BEGIN ATOMIC</c> or <c>RETURN</c>): <see cref="AtomicReads"/> and <see cref="AtomicCalls"/> come from its parsed tree.</param>
    /// <param name="AtomicReads">The relations a SQL-standard body has in a range table.</param>
    /// <param name="AtomicCalls">The functions a SQL-standard body calls.</param>
    /// <param name="UnforcedTablesOwned">For a SECURITY DEFINER function, the tables with Row-Level Security not forced that its owner acts as the owner of.</param>
    internal sealed record Function(
        uint Oid, string Signature, string Schema, string Name, string Owner, bool OwnerBypassesRls, bool SecurityDefiner, string Language,
        string Body, bool IsAtomic, IReadOnlyList<uint> AtomicReads, IReadOnlyList<uint> AtomicCalls, IReadOnlyList<uint> UnforcedTablesOwned);

    /// <summary>A role other than its owner granted a privilege on a partition itself (what a query naming the partition needs).</summary>
    /// <param name="PartitionOid">The partition.</param>
    /// <param name="Grantee">The role, quoted, or <c>PUBLIC</c>.</param>
    /// <param name="Privileges">SELECT, INSERT, UPDATE, DELETE, TRUNCATE: those granted.</param>
    internal sealed record PartitionGrant(uint PartitionOid, string Grantee, IReadOnlyList<string> Privileges);

    /// <summary>The direct grants on partitions without Row-Level Security.</summary>
    public IReadOnlyList<PartitionGrant> PartitionGrants { get; init; } = [];

    /// <summary>The app login's rights on one table with Row-Level Security.</summary>
    internal sealed record TablePrivileges(uint TableOid, bool ActsAsOwner, bool Truncate, bool References, bool Trigger = false);

    /// <summary>A role the app login is a member of, directly or through other roles, and the first chain of grants that leads there.</summary>
    /// <param name="Name">The role, unquoted.</param>
    /// <param name="Path">The chain of role names from the login to <see cref="Name"/>, both included (just the login for its own attributes).</param>
    /// <param name="IsSuperuser">The role is a superuser.</param>
    /// <param name="BypassesRls">The role has BYPASSRLS.</param>
    /// <param name="CanCreateRole">The role has CREATEROLE.</param>
    internal sealed record RoleChain(string Name, IReadOnlyList<string> Path, bool IsSuperuser, bool BypassesRls, bool CanCreateRole)
    {
        /// <summary>
        /// The login can SET ROLE to it, and so take its attributes (SUPERUSER, BYPASSRLS, CREATEROLE are never inherited).
        /// Always up to PostgreSQL 15; from 16 only through grants WITH SET (or ADMIN) all along the chain; otherwise the
        /// chain only passes on the role's rights (INHERIT).
        /// </summary>
        public bool CanSetRole { get; init; } = true;
    }

    /// <summary>What the app login could do with the support access path.</summary>
    /// <param name="MayBegin">It may execute <c>dapper_tenants.begin_support_session</c> (directly, through a role, or PUBLIC).</param>
    /// <param name="LogPrivileges">Its privileges on <c>dapper_tenants.access_log</c> (SELECT, INSERT, UPDATE, DELETE, TRUNCATE).</param>
    /// <param name="SupportRoles">The roles named by support policies that it is a member of.</param>
    internal sealed record SupportReach(bool MayBegin, IReadOnlyList<string> LogPrivileges, IReadOnlyList<string> SupportRoles)
    {
        /// <summary>It may execute <c>dapper_tenants.log_support_write</c> (directly, through a role, or PUBLIC).</summary>
        public bool MayLogWrite { get; init; }

        /// <summary>Its privileges on <c>dapper_tenants.access_log_writes</c> (SELECT, INSERT, UPDATE, DELETE, TRUNCATE).</summary>
        public IReadOnlyList<string> WriteLogPrivileges { get; init; } = [];
    }

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
