namespace DapperTenants.Catalog;

/// <summary>The tables of the catalog model that one read returned, by OID and with their partitions.</summary>
internal sealed class CatalogTables
{
    private readonly Dictionary<uint, ProtectedTable> _byOid;
    private readonly ILookup<uint, ProtectedTable> _partitions;

    public CatalogTables(IReadOnlyList<ProtectedTable> tables)
    {
        Tables = tables;
        _byOid = tables.ToDictionary(t => t.Oid);
        _partitions = tables.Where(t => t.ParentOid is not null).ToLookup(t => t.ParentOid!.Value);
    }

    /// <summary>Every table, ordered by schema and name.</summary>
    public IReadOnlyList<ProtectedTable> Tables { get; }

    /// <summary>The table of OID <paramref name="oid"/>, or <see langword="null"/>.</summary>
    public ProtectedTable? Find(uint oid) => _byOid.GetValueOrDefault(oid);

    /// <summary>The table <paramref name="schema"/>.<paramref name="table"/>, or <see langword="null"/>.</summary>
    public ProtectedTable? Find(string schema, string table) => Tables.FirstOrDefault(t => t.Schema == schema && t.Table == table);

    /// <summary>The direct partitions of <paramref name="table"/>.</summary>
    public IEnumerable<ProtectedTable> PartitionsOf(ProtectedTable table) => _partitions[table.Oid];

    /// <summary><paramref name="table"/> followed by its partitions at every depth.</summary>
    public IEnumerable<ProtectedTable> WithPartitions(ProtectedTable table)
    {
        yield return table;
        foreach (var partition in PartitionsOf(table))
        {
            foreach (var nested in WithPartitions(partition))
            {
                yield return nested;
            }
        }
    }
}
