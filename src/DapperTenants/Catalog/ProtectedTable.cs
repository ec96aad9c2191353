namespace DapperTenants.Catalog;

/// <summary>A table whose rows belong to tenants, as the request path sees it in the catalog.</summary>
/// <param name="Schema">The schema name, unquoted.</param>
/// <param name="Table">The table name, unquoted.</param>
/// <param name="TenantColumn">The tenant column, unquoted.</param>
/// <param name="TenantType">The tenant column's SQL type, as <c>format_type</c> prints it (for example <c>text</c>, <c>uuid</c>, <c>bigint</c>).</param>
/// <param name="Columns">Every column in table order, for INSERTs without a column list.</param>
internal sealed record ProtectedTable(string Schema, string Table, string TenantColumn, string TenantType, IReadOnlyList<string> Columns)
{
    /// <summary>The position of the tenant column in <see cref="Columns"/>, or -1.</summary>
    public int TenantColumnIndex { get; } = IndexOf(Columns, TenantColumn);

    private static int IndexOf(IReadOnlyList<string> columns, string column)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (string.Equals(columns[i], column, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
