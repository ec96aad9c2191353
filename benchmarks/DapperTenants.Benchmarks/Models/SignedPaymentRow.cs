namespace DapperTenants.Benchmarks.Models;

/// <summary>The model the installer secures <c>signed_payments</c> from (its tenant column defaults to the verified tenant).</summary>
[Rls("signed_payments")]
public sealed class SignedPaymentRow
{
    public long Id { get; set; }

    public string Tenant { get; set; } = string.Empty;
}
