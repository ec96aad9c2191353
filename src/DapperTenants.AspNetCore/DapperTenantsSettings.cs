using DapperTenants.AspNetCore.Resolution;
using DapperTenants.AspNetCore.Startup;
using Microsoft.AspNetCore.Http;

namespace DapperTenants.AspNetCore;

/// <summary>What <see cref="DapperTenantsBuilder"/> configured; one singleton per service collection.</summary>
internal sealed class DapperTenantsSettings
{
    public List<TenantStrategy> Strategies { get; } = [];

    /// <summary>The status of the ProblemDetails answer to a request that names no tenant on an endpoint that needs one.</summary>
    public int MissingTenantStatusCode { get; set; } = StatusCodes.Status404NotFound;

    /// <summary>The application's own answer to a missing tenant; replaces <see cref="MissingTenantStatusCode"/>.</summary>
    public Func<HttpContext, Task>? MissingTenantHandler { get; set; }

    public PolicySetup? Policies { get; set; }
}
