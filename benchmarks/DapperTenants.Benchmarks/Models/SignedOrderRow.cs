namespace DapperTenants.Benchmarks.Models;

/// <summary>
/// The model the installer secures <c>signed_orders</c> from (with <see cref="PolicyInstaller.UseSignedContext"/>); the
/// benchmarks read the table into <see cref="Order"/>.
/// </summary>
[Rls("signed_orders")]
public sealed class SignedOrderRow
{
    public long Id { get; set; }

    public string Tenant { get; set; } = string.Empty;
}
