using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DapperTenants.AspNetCore.Startup;

/// <summary>
/// Applies the policies once, as the owner, in the host's "starting" phase: before any hosted service starts, so
/// before the server accepts a request. An exception stops the host with the installer's messages.
/// </summary>
internal sealed class PolicyStartup(OwnerDataSource owner, TenantDataSource tenants, ILogger<PolicyStartup> logger) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        try
        {
            var plan = await owner.CreateInstaller(tenants).ApplyAsync(cancellationToken).ConfigureAwait(false);
            AspNetCoreLog.PoliciesApplied(logger, plan.Steps.Count);
            foreach (var warning in plan.Warnings)
            {
                AspNetCoreLog.PolicyWarning(logger, warning);
            }

            if (plan.Steps.Count > 0)
            {
                tenants.RefreshCatalog();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            AspNetCoreLog.PoliciesFailed(logger, e);
            throw;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
