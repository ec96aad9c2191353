using DapperTenants.AspNetCore.Health;
using DapperTenants.AspNetCore.Startup;
using Microsoft.Extensions.Diagnostics.HealthChecks;

// In the namespace of IHealthChecksBuilder, as the other health check packages do.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the DapperTenants health check.</summary>
public static class DapperTenantsHealthChecksBuilderExtensions
{
    /// <summary>The health check's default name.</summary>
    public const string DefaultName = "dapper_tenants";

    /// <summary>
    /// Checks that tenant connections open as an unprivileged login and, with <c>ApplyPoliciesAtStartup(...)</c>, that the
    /// policies still match the <see cref="DapperTenants.RlsAttribute"/> types. Unhealthy when the database cannot be
    /// reached, the login is a superuser or has <c>BYPASSRLS</c>, or a table has drifted; degraded on installer warnings.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">The status reported on failure; <see langword="null"/> for <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by.</param>
    /// <param name="timeout">How long the check may take.</param>
    /// <returns>The health checks builder.</returns>
    /// <remarks>Map the health endpoint with <c>.AllowWithoutTenant()</c>. The drift check plans as the owner on every probe.</remarks>
    public static IHealthChecksBuilder AddDapperTenantsHealthCheck(this IHealthChecksBuilder builder, string name = DefaultName,
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new TenantHealthCheck(sp.GetRequiredService<DapperTenants.TenantDataSource>(), sp.GetService<OwnerDataSource>()),
            failureStatus,
            tags,
            timeout));
    }
}
