using System.Globalization;

namespace DapperTenants;

/// <summary>One protected table of a <see cref="TenantPurgePlan"/>: the tenant's rows in it when the plan was made.</summary>
public sealed class TenantPurgeStep
{
    internal TenantPurgeStep(string table, string tenantColumn, long rows)
    {
        Table = table;
        TenantColumn = tenantColumn;
        Rows = rows;
    }

    /// <summary>The table as SQL names it, schema-qualified and quoted where needed: <c>public.orders</c>.</summary>
    public string Table { get; }

    /// <summary>The tenant column, unquoted.</summary>
    public string TenantColumn { get; }

    /// <summary>How many of the tenant's rows the table held when the plan was made.</summary>
    public long Rows { get; }

    /// <summary>The table and its row count, for logs: <c>public.orders: 5 rows</c>.</summary>
    /// <returns>One line.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Table}: {Rows} row{(Rows == 1 ? "" : "s")}");
}
