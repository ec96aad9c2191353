namespace DapperTenants.Benchmarks.Models;

/// <summary>The short form of an order, for lists.</summary>
public sealed class OrderSummary
{
    public long Id { get; set; }

    public decimal Total { get; set; }
}
