namespace DapperTenants.Connections;

/// <summary>A signed token for one tenant, as <see cref="TenantTokenMinter"/> caches it.</summary>
/// <param name="Value">The token: <c>v1.&lt;key id&gt;.&lt;expiry&gt;.&lt;backend&gt;.&lt;tenant as hex&gt;.&lt;HMAC as hex&gt;</c>.</param>
/// <param name="ExpiresAt">When the server stops accepting it (compared with the start of each transaction).</param>
/// <param name="RenewAt">When the minter signs a fresh one instead: half the lifetime before <paramref name="ExpiresAt"/>.</param>
internal sealed record TenantToken(string Value, DateTimeOffset ExpiresAt, DateTimeOffset RenewAt)
{
    /// <summary>Ticks of <see cref="RenewAt"/>, compared on every cache hit without building a <see cref="DateTimeOffset"/>.</summary>
    public long RenewAtTicks { get; } = RenewAt.UtcTicks;
}
