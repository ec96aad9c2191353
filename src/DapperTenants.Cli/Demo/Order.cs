namespace DapperTenants.Cli.Demo;

/// <summary>A demo tenant-owned row that references a customer of the same tenant.</summary>
[Rls("orders")]
internal sealed class Order
{
    public string Tenant { get; set; } = string.Empty;

    public int Id { get; set; }

    public int CustomerId { get; set; }

    public decimal Total { get; set; }
}
