namespace DapperTenants.Benchmarks.Models;

/// <summary>The tenant-wide aggregate of scenario 3.</summary>
public sealed class TenantTotals
{
    public long Count { get; set; }

    public decimal Sum { get; set; }
}
