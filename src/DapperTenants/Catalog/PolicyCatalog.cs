namespace DapperTenants.Catalog;

/// <summary>
/// What the installer reads: the catalog model's tables (the requested ones among them), whether each requested
/// table exists and is a table, and the grants of the roles it grants to.
/// </summary>
internal sealed class PolicyCatalog
{
    public PolicyCatalog(
        string currentUser,
        IReadOnlyList<string> missingRoles,
        IReadOnlyList<RequestedRelation> requests,
        CatalogTables tables,
        IReadOnlyList<TableGrant> tableGrants,
        IReadOnlyList<SchemaGrant> schemaGrants,
        IReadOnlyList<SequenceGrant> sequenceGrants)
    {
        CurrentUser = currentUser;
        MissingRoles = missingRoles;
        Requests = requests;
        Tables = tables;
        TableGrants = tableGrants;
        SchemaGrants = schemaGrants;
        SequenceGrants = sequenceGrants;
    }

    /// <summary>The installer's login.</summary>
    public string CurrentUser { get; }

    /// <summary>Roles to grant to that do not exist.</summary>
    public IReadOnlyList<string> MissingRoles { get; }

    /// <summary>One entry per requested table, in request order.</summary>
    public IReadOnlyList<RequestedRelation> Requests { get; }

    /// <summary>The catalog model: the requested tables that have their tenant column, their partitions, and every other table with policies.</summary>
    public CatalogTables Tables { get; }

    public IReadOnlyList<TableGrant> TableGrants { get; }

    public IReadOnlyList<SchemaGrant> SchemaGrants { get; }

    public IReadOnlyList<SequenceGrant> SequenceGrants { get; }

    /// <summary>A requested name as the catalog knows it.</summary>
    /// <param name="Oid">The relation's OID, or <see langword="null"/> when nothing has that name.</param>
    /// <param name="Kind"><c>pg_class.relkind</c>: <c>r</c> table, <c>p</c> partitioned table, others are not tables.</param>
    internal sealed record RequestedRelation(uint? Oid, char Kind);

    internal sealed record TableGrant(uint RelationOid, string Role, bool Select, bool Insert, bool Update, bool Delete, bool Truncate, bool References);

    internal sealed record SchemaGrant(string Schema, string Role, bool Usage);

    internal sealed record SequenceGrant(uint TableOid, string Schema, string Name, string Role, bool Usage, bool Select);
}
