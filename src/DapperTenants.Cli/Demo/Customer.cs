namespace DapperTenants.Cli.Demo;

/// <summary>A demo tenant-owned row: the installer protects <c>customers</c> by its <c>tenant</c> column.</summary>
[Rls("customers")]
internal sealed class Customer
{
    public string Tenant { get; set; } = string.Empty;

    public int Id { get; set; }

    public string Name { get; set; } = string.Empty;
}
