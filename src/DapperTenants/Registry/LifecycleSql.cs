using DapperTenants.Catalog;

namespace DapperTenants.Registry;

/// <summary>
/// The statements of a tenant's purge, export and import. Names come from the catalog, quoted by PostgreSQL; the tenant
/// is always bound (as <c>@tenant</c>, text, cast to the tenant column's type) or, for COPY, which takes no parameters,
/// read from a transaction-local setting bound just before.
/// </summary>
internal static class LifecycleSql
{
    /// <summary>The setting through which a COPY reads the tenant: set with a bound value, local to the export's transaction.</summary>
    public const string ExportSetting = "dapper_tenants_export.tenant";

    public const string SetExportTenant = "select set_config('" + ExportSetting + "', @tenant, true)";

    public static string Count(ProtectedTable table) =>
        $"select count(*) from {table.QuotedName} where {Column(table)} = {Tenant(table)}";

    /// <summary>
    /// Deletes up to <c>@limit</c> of the tenant's rows in one statement. A table that references itself loses only rows
    /// no remaining row references (leaves first), so a blocking key never fails; the tenant predicate is repeated
    /// outside because a partitioned table's <c>ctid</c> is unique per partition only.
    /// </summary>
    public static string DeleteChunk(ProtectedTable table, IReadOnlyList<LifecycleCatalog.ForeignKey> selfReferences)
    {
        var leaves = string.Concat(selfReferences.Select(k =>
            $" and not exists (select from {table.QuotedName} r where ({string.Join(", ", k.FromColumns.Select(c => "r." + c))}) = ({string.Join(", ", k.ToColumns.Select(c => "x." + c))}))"));
        return $"delete from {table.QuotedName} where {Column(table)} = {Tenant(table)} and ctid = any(array("
            + $"select x.ctid from {table.QuotedName} x where x.{Column(table)} = {Tenant(table)}{leaves} limit @limit))";
    }

    /// <summary>COPY of the tenant's rows (never shared rows, whose tenant is NULL) in PostgreSQL's text format.</summary>
    public static string CopyOut(ProtectedTable table, IReadOnlyList<TableColumn> columns) =>
        $"copy (select {ColumnList(columns)} from {table.QuotedName} where {Column(table)} = "
        + $"pg_catalog.current_setting('{ExportSetting}')::{table.TenantType}) to stdout";

    /// <summary>
    /// PostgreSQL refuses COPY FROM into a table with Row-Level Security, so an import copies into a temporary table of the
    /// same columns (dropped at commit), then inserts from it through the policies.
    /// </summary>
    public static string CreateStaging(string staging, ProtectedTable table, IReadOnlyList<TableColumn> columns) =>
        $"create temporary table {staging} on commit drop as select {ColumnList(columns)} from {table.QuotedName} with no data";

    public static string CopyIn(string staging, IReadOnlyList<TableColumn> columns) =>
        $"copy {staging} ({ColumnList(columns)}) from stdin";

    /// <summary>The staged rows into the table, through its policies' WITH CHECK; identity values are kept as exported.</summary>
    public static string InsertStaged(string staging, ProtectedTable table, IReadOnlyList<TableColumn> columns) =>
        $"insert into {table.QuotedName} ({ColumnList(columns)}){(columns.Any(c => c.Identity) ? " overriding system value" : "")} "
        + $"select {ColumnList(columns)} from {staging}";

    public static string ColumnList(IReadOnlyList<TableColumn> columns) => string.Join(", ", columns.Select(c => c.Quoted ?? c.Name));

    private static string Column(ProtectedTable table) => table.Tenant?.Quoted ?? table.TenantColumn;

    private static string Tenant(ProtectedTable table) => $"cast(@tenant as {table.TenantType})";
}
