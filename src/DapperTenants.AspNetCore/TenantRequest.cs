namespace DapperTenants.AspNetCore;

/// <summary>The tenant <c>UseDapperTenants()</c> resolved for the current request: one per DI scope.</summary>
internal sealed class TenantRequest
{
    public string? Tenant { get; set; }

    /// <summary>A connection the middleware opened asynchronously for an endpoint that takes one; handed to DI on first use.</summary>
    public TenantConnection? Opened { get; set; }

    /// <summary>Whether DI took <see cref="Opened"/> (and so disposes it with the scope).</summary>
    public bool Handed { get; set; }
}
