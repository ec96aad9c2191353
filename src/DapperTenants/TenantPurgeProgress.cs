namespace DapperTenants;

/// <summary>How far a purge got: reported after every chunk deleted, and once per table when it starts.</summary>
public sealed class TenantPurgeProgress
{
    internal TenantPurgeProgress(string tenant, string table, int step, int steps, long tableRowsDeleted, long tableRowsPlanned, long rowsDeleted, long rowsPlanned)
    {
        Tenant = tenant;
        Table = table;
        Step = step;
        Steps = steps;
        TableRowsDeleted = tableRowsDeleted;
        TableRowsPlanned = tableRowsPlanned;
        RowsDeleted = rowsDeleted;
        RowsPlanned = rowsPlanned;
    }

    /// <summary>The tenant being purged.</summary>
    public string Tenant { get; }

    /// <summary>The table being purged, as SQL names it.</summary>
    public string Table { get; }

    /// <summary>The table's position among <see cref="Steps"/>, from 1.</summary>
    public int Step { get; }

    /// <summary>How many tables this pass of the purge goes through.</summary>
    public int Steps { get; }

    /// <summary>Rows of the tenant deleted from <see cref="Table"/> by this run so far.</summary>
    public long TableRowsDeleted { get; }

    /// <summary>Rows of the tenant <see cref="Table"/> held when this run counted them (before deleting from it).</summary>
    public long TableRowsPlanned { get; }

    /// <summary>Rows of the tenant deleted by this run so far, in all tables.</summary>
    public long RowsDeleted { get; }

    /// <summary>Rows of the tenant this run expects to delete in all tables (a resumed run counts only what is left).</summary>
    public long RowsPlanned { get; }
}
