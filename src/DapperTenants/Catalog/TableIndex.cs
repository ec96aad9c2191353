namespace DapperTenants.Catalog;

/// <summary>A unique or primary-key index of a table in the catalog model.</summary>
/// <param name="Name">The index name as <c>quote_ident</c> prints it.</param>
/// <param name="IsPrimaryKey">It backs the primary key.</param>
/// <param name="Columns">The <c>attnum</c> of each key column in order (0 for an expression).</param>
internal sealed record TableIndex(string Name, bool IsPrimaryKey, IReadOnlyList<int> Columns);
