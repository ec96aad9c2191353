using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace DapperTenants.AspNetCore.Resolution;

/// <summary>
/// Runs the strategies in order; the first that finds a value wins. When the signed-in user carries tenant claims,
/// every strategy runs, and a value any other strategy finds must be one of the user's tenants, else the request is
/// refused (403): a header, route or host name never lets a user of acme act as globex.
/// </summary>
internal sealed class TenantResolver(IReadOnlyList<TenantStrategy> strategies, int maxTenantLength)
{
    private readonly bool _hasClaims = strategies.Any(s => s.IsClaim);

    public async ValueTask<TenantResolution> ResolveAsync(HttpContext context)
    {
        var allowed = _hasClaims ? await ClaimedTenantsAsync(context).ConfigureAwait(false) : null;
        if (allowed is null)
        {
            foreach (var strategy in strategies)
            {
                var values = await strategy.ResolveAsync(context).ConfigureAwait(false);
                if (values.Count > 1)
                {
                    return TenantResolution.Invalid(strategy.Description, $"The request names the tenant {values.Count} times through {strategy.Description}.");
                }

                if (values.Count == 1)
                {
                    return Check(values[0]!, strategy);
                }
            }

            return TenantResolution.Missing;
        }

        string? chosen = null;
        TenantStrategy? chosenBy = null;
        foreach (var strategy in strategies)
        {
            var values = await strategy.ResolveAsync(context).ConfigureAwait(false);
            if (strategy.IsClaim)
            {
                // A user of several tenants names none by the claim alone: another strategy must pick one of them.
                if (values.Count == 1 && chosen is null)
                {
                    (chosen, chosenBy) = (values[0], strategy);
                }

                continue;
            }

            if (values.Count > 1)
            {
                return TenantResolution.Invalid(strategy.Description, $"The request names the tenant {values.Count} times through {strategy.Description}.");
            }

            if (values.Count == 1)
            {
                if (!allowed.Contains(values[0]!))
                {
                    return TenantResolution.Conflict(strategy.Description);
                }

                if (chosen is null)
                {
                    (chosen, chosenBy) = (values[0], strategy);
                }
            }
        }

        return chosen is null ? TenantResolution.Missing : Check(chosen, chosenBy!);
    }

    /// <summary>The tenants of the signed-in user, or <see langword="null"/> when no claim strategy finds any.</summary>
    private async ValueTask<HashSet<string>?> ClaimedTenantsAsync(HttpContext context)
    {
        HashSet<string>? allowed = null;
        foreach (var strategy in strategies)
        {
            if (!strategy.IsClaim)
            {
                continue;
            }

            StringValues values = await strategy.ResolveAsync(context).ConfigureAwait(false);
            foreach (var value in values)
            {
                (allowed ??= new HashSet<string>(StringComparer.Ordinal)).Add(value!);
            }
        }

        return allowed;
    }

    private TenantResolution Check(string tenant, TenantStrategy strategy) =>
        TenantValues.Problem(tenant, maxTenantLength) is { } problem
            ? TenantResolution.Invalid(strategy.Description, problem)
            : TenantResolution.Resolved(tenant, strategy.Description);
}
