using DapperTenants.AspNetCore;
using Microsoft.AspNetCore.Mvc;

namespace DapperTenants.AspNetCore.Tests.Pipeline;

/// <summary>An MVC controller that takes the request's <see cref="TenantConnection"/> in its constructor.</summary>
[ApiController]
[Route("mvc")]
public sealed class OrdersController(TenantConnection db) : ControllerBase
{
    [HttpGet("orders")]
    public async Task<string> Orders() =>
        db.Tenant + "|" + string.Join(",", await db.QueryAsync<int>("select id from orders order by id"));
}

/// <summary>A controller that runs without a tenant, and does not take a connection.</summary>
[ApiController]
[Route("mvc")]
public sealed class StatusController : ControllerBase
{
    [HttpGet("status")]
    [AllowWithoutTenant]
    public IActionResult Status() => Ok(TenantScope.Current ?? "(none)");
}
