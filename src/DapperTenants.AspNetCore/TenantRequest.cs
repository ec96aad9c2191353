namespace DapperTenants.AspNetCore;

/// <summary>The tenant <c>UseDapperTenants()</c> resolved for the current request: one per DI scope.</summary>
internal sealed class TenantRequest
{
    public string? Tenant { get; set; }
}
