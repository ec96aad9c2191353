namespace DapperTenants.Benchmarks.Models;

/// <summary>The model the installer secures <c>signed_customers</c> from; the benchmarks read it into <see cref="Customer"/>.</summary>
[Rls("signed_customers")]
public sealed class SignedCustomerRow
{
    public long Id { get; set; }

    public string Tenant { get; set; } = string.Empty;
}
