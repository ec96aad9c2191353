using System.Globalization;
using DapperTenants.AspNetCore.Startup;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace DapperTenants.AspNetCore.Health;

/// <summary>
/// Unhealthy when the database cannot be reached, when the application's login is privileged (superuser or
/// <c>BYPASSRLS</c>) or when a <see cref="RlsAttribute"/> table has drifted from its policy; degraded on installer
/// warnings or on a privileged login that <see cref="TenantOptions.AllowPrivilegedRole"/> lets through.
/// </summary>
/// <remarks>The drift check needs <c>ApplyPoliciesAtStartup(...)</c>: it plans with the same owner and types.</remarks>
internal sealed class TenantHealthCheck(TenantDataSource tenants, OwnerDataSource? owner) : IHealthCheck
{
    /// <summary>
    /// A tenant value for the probe's open, one character long so that any <see cref="TenantOptions.MaxTenantLength"/>
    /// accepts it; nothing runs under it (the probe queries the unguarded inner connection).
    /// </summary>
    internal const string ProbeTenant = "_";

    private const string PrivilegedQuery = "select rolsuper, rolbypassrls from pg_roles where rolname = current_user";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failure = context.Registration.FailureStatus;
        bool superuser, bypassRls;
        try
        {
            var connection = await tenants.OpenAsync(ProbeTenant, cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                (superuser, bypassRls) = await LoginAttributesAsync(connection.InnerConnection, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (UnsafeRoleException e)
        {
            return new HealthCheckResult(failure, "The application's login is a superuser or has BYPASSRLS: Row-Level Security does not apply to it.", e);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(failure, "The database cannot be reached with the application's login: " + e.Message, e);
        }

        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var privileged = superuser || bypassRls;
        if (privileged && !tenants.Options.AllowPrivilegedRole)
        {
            // The login gained the attribute after the data source's first open checked it.
            return new HealthCheckResult(failure, "The application's login is a superuser or has BYPASSRLS: Row-Level Security does not apply to it.");
        }

        string? degraded = privileged
            ? "The application's login is a superuser or has BYPASSRLS, which TenantOptions.AllowPrivilegedRole allows: Row-Level Security does not apply to it."
            : null;

        if (owner is not null)
        {
            var plan = await owner.CreateInstaller(tenants).PlanAsync(cancellationToken).ConfigureAwait(false);
            data["steps"] = plan.Steps.Count;
            data["errors"] = plan.Errors.Count;
            data["warnings"] = plan.Warnings.Count;
            if (!plan.IsEmpty)
            {
                var drift = plan.Steps.Select(s => $"{s.Target}: {s.Reason}").Concat(plan.Errors);
                return new HealthCheckResult(failure,
                    string.Create(CultureInfo.InvariantCulture, $"The Row-Level Security policies have drifted from the [Rls] types ({plan.Steps.Count} step(s), {plan.Errors.Count} error(s)): ")
                    + string.Join("; ", drift), data: data);
            }

            if (plan.Warnings.Count > 0)
            {
                degraded ??= "The policy installer has warnings: " + string.Join("; ", plan.Warnings);
            }
        }

        return degraded is null
            ? HealthCheckResult.Healthy("Tenant connections open as an unprivileged login" + (owner is null ? "." : ", and the policies match the [Rls] types."), data)
            : HealthCheckResult.Degraded(degraded, data: data);
    }

    private static async Task<(bool Superuser, bool BypassRls)> LoginAttributesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(PrivilegedQuery, connection);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                    ? (reader.GetBoolean(0), reader.GetBoolean(1))
                    : (false, false);
            }
        }
    }
}
