namespace DapperTenants.Benchmarks.Models;

/// <summary>A row of <c>orders</c>, as every variant reads it.</summary>
public sealed class Order
{
    public long Id { get; set; }

    public string Tenant { get; set; } = string.Empty;

    public long CustomerId { get; set; }

    public decimal Total { get; set; }

    public DateTime CreatedAt { get; set; }
}
