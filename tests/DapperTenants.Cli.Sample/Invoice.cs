namespace DapperTenants.Cli.Sample;

/// <summary>Protected by its <c>Tenant</c> property (column <c>tenant</c>).</summary>
[Rls("invoices")]
public sealed class Invoice
{
    public string Tenant { get; set; } = string.Empty;

    public int Id { get; set; }

    public decimal Amount { get; set; }
}
