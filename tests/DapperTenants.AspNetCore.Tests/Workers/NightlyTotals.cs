using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DapperTenants.AspNetCore.Tests.Workers;

/// <summary>The README's background service: works through the tenants, one <see cref="TenantScope"/> each.</summary>
public sealed partial class NightlyTotals(TenantDataSource tenants, ILogger<NightlyTotals> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string[] all = ["acme", "globex", "initech"];                  // from your tenant registry
        foreach (var tenant in all)
        {
            using (TenantScope.Begin(tenant))
            {
                await using var conn = await tenants.OpenCurrentAsync(stoppingToken);
                var total = await conn.ExecuteScalarAsync<decimal>("select coalesce(sum(total), 0) from orders");
                LogTotal(logger, tenant, total);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Tenant}: {Total}")]
    private static partial void LogTotal(ILogger logger, string tenant, decimal total);
}
