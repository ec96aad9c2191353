namespace DapperTenants.Catalog;

/// <summary>
/// What purging and exporting a tenant need of the catalog model: the protected tables (with details), the foreign keys
/// between them, and the columns PostgreSQL computes itself (generated columns, which COPY neither reads into nor writes).
/// </summary>
/// <param name="Tables">The protected tables that are no partition (a statement on a partitioned table reaches its partitions).</param>
/// <param name="ForeignKeys">Foreign keys whose referencing table is one of <paramref name="Tables"/> (or its partition).</param>
/// <param name="GeneratedColumns">The generated columns of <paramref name="Tables"/>, by table OID.</param>
internal sealed record LifecycleCatalog(
    IReadOnlyList<ProtectedTable> Tables,
    IReadOnlyList<LifecycleCatalog.ForeignKey> ForeignKeys,
    ILookup<uint, string> GeneratedColumns)
{
    /// <summary>The columns a COPY of <paramref name="table"/> carries: every column but the generated ones, in table order.</summary>
    public IReadOnlyList<TableColumn> CopiedColumns(ProtectedTable table)
    {
        var generated = GeneratedColumns[table.Oid].ToHashSet(StringComparer.Ordinal);
        return [.. table.ColumnFacts.Where(c => !generated.Contains(c.Name))];
    }

    /// <summary>A foreign key.</summary>
    /// <param name="Name">The constraint name, quoted as needed.</param>
    /// <param name="From">The referencing table's OID.</param>
    /// <param name="To">The referenced table's OID.</param>
    /// <param name="OnDelete"><c>pg_constraint.confdeltype</c>: <c>a</c> no action, <c>r</c> restrict, <c>c</c> cascade, <c>n</c> set null, <c>d</c> set default.</param>
    /// <param name="FromColumns">The referencing columns, quoted as needed.</param>
    /// <param name="ToColumns">The referenced columns, quoted as needed.</param>
    internal sealed record ForeignKey(string Name, uint From, uint To, char OnDelete, IReadOnlyList<string> FromColumns, IReadOnlyList<string> ToColumns)
    {
        /// <summary>Deleting a referenced row fails while a referencing row remains (NO ACTION or RESTRICT); the other actions change the referencing rows instead.</summary>
        public bool Blocks => OnDelete is 'a' or 'r';
    }
}
