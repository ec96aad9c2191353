namespace DapperTenants.Benchmarks.Models;

/// <summary>A row of <c>customers</c>.</summary>
public sealed class Customer
{
    public long Id { get; set; }

    public string Name { get; set; } = string.Empty;

    public decimal Balance { get; set; }
}
