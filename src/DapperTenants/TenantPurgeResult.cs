namespace DapperTenants;

/// <summary>What a finished purge did.</summary>
public sealed class TenantPurgeResult
{
    internal TenantPurgeResult(TenantInfo tenant, long rowsDeleted)
    {
        Tenant = tenant;
        RowsDeleted = rowsDeleted;
    }

    /// <summary>The tenant, now <see cref="TenantState.Purged"/>.</summary>
    public TenantInfo Tenant { get; }

    /// <summary>The rows this run deleted (a run that resumed an interrupted purge counts only its own).</summary>
    public long RowsDeleted { get; }
}
