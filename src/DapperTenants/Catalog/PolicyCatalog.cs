namespace DapperTenants.Catalog;

/// <summary>What the installer reads about the tables it protects: RLS flags, policies, tenant columns, defaults, indexes and grants.</summary>
internal sealed class PolicyCatalog
{
    public PolicyCatalog(
        string currentUser,
        IReadOnlyList<string> missingRoles,
        IReadOnlyList<Relation> relations,
        IReadOnlyList<Policy> policies,
        IReadOnlyList<TableGrant> tableGrants,
        IReadOnlyList<SchemaGrant> schemaGrants,
        IReadOnlyList<SequenceGrant> sequenceGrants)
    {
        CurrentUser = currentUser;
        MissingRoles = missingRoles;
        Relations = relations;
        Policies = policies;
        TableGrants = tableGrants;
        SchemaGrants = schemaGrants;
        SequenceGrants = sequenceGrants;
    }

    /// <summary>The installer's login.</summary>
    public string CurrentUser { get; }

    /// <summary>Roles to grant to that do not exist.</summary>
    public IReadOnlyList<string> MissingRoles { get; }

    /// <summary>Each requested table that exists (level 0) followed by its partitions at every depth (level &gt; 0).</summary>
    public IReadOnlyList<Relation> Relations { get; }

    /// <summary>Every policy on those relations, and the installer's policies wherever they are.</summary>
    public IReadOnlyList<Policy> Policies { get; }

    public IReadOnlyList<TableGrant> TableGrants { get; }

    public IReadOnlyList<SchemaGrant> SchemaGrants { get; }

    public IReadOnlyList<SequenceGrant> SequenceGrants { get; }

    /// <summary>A table or partition.</summary>
    /// <param name="Request">The index of the requested table this relation is, or is a partition of.</param>
    /// <param name="Level">0 for the requested table, else the partition depth.</param>
    /// <param name="Oid">The relation's OID.</param>
    /// <param name="Schema">The schema, unquoted.</param>
    /// <param name="Name">The relation name, unquoted.</param>
    /// <param name="Kind"><c>pg_class.relkind</c>: <c>r</c> table, <c>p</c> partitioned table, others are not tables.</param>
    /// <param name="RowSecurity">RLS enabled.</param>
    /// <param name="ForceRowSecurity">RLS forced on the owner too.</param>
    /// <param name="OwnedByInstaller">The installer's login owns it (or inherits its owner's privileges).</param>
    /// <param name="Owner">The owner role.</param>
    /// <param name="Table">The tenant table as the request path describes it; <see langword="null"/> when the tenant column is missing.</param>
    /// <param name="TenantTypeOid">The tenant column's type OID (0 when missing).</param>
    /// <param name="TenantNotNull">The tenant column is NOT NULL.</param>
    /// <param name="QuotedTenantColumn">The tenant column as <c>quote_ident</c> prints it.</param>
    /// <param name="TenantDefault">The tenant column's default as <c>pg_get_expr</c> prints it.</param>
    /// <param name="HasTenantIndex">Some index has the tenant column as its leading column.</param>
    internal sealed record Relation(
        int Request, int Level, uint Oid, string Schema, string Name, char Kind, bool RowSecurity, bool ForceRowSecurity,
        bool OwnedByInstaller, string Owner, ProtectedTable? Table, uint TenantTypeOid, bool TenantNotNull,
        string? QuotedTenantColumn, string? TenantDefault, bool HasTenantIndex);

    /// <summary>A row of <c>pg_policy</c>.</summary>
    /// <param name="RelationOid">The table.</param>
    /// <param name="Schema">The table's schema, unquoted.</param>
    /// <param name="Table">The table's name, unquoted.</param>
    /// <param name="Name">The policy name.</param>
    /// <param name="Permissive">PERMISSIVE (OR-ed) rather than RESTRICTIVE (AND-ed).</param>
    /// <param name="Command"><c>polcmd</c>: <c>*</c> for ALL, else <c>r</c>, <c>a</c>, <c>w</c>, <c>d</c>.</param>
    /// <param name="ToPublic">The policy applies to PUBLIC.</param>
    /// <param name="Using">The USING expression as <c>pg_get_expr</c> prints it.</param>
    /// <param name="Check">The WITH CHECK expression as <c>pg_get_expr</c> prints it.</param>
    internal sealed record Policy(uint RelationOid, string Schema, string Table, string Name, bool Permissive, string Command, bool ToPublic, string? Using, string? Check);

    internal sealed record TableGrant(uint RelationOid, string Role, bool Select, bool Insert, bool Update, bool Delete, bool Truncate, bool References);

    internal sealed record SchemaGrant(string Schema, string Role, bool Usage);

    internal sealed record SequenceGrant(uint TableOid, string Schema, string Name, string Role, bool Usage, bool Select);
}
