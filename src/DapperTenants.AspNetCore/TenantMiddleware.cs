using DapperTenants.AspNetCore.Resolution;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DapperTenants.AspNetCore;

/// <summary>
/// Resolves the tenant of each request, answers the requests that cannot run (no tenant where one is needed, an
/// invalid value, a value that disagrees with the user's claim), and runs the rest inside a <see cref="TenantScope"/>.
/// </summary>
internal sealed class TenantMiddleware
{
    private readonly RequestDelegate _next;
    private readonly DapperTenantsSettings _settings;
    private readonly TenantResolver _resolver;
    private readonly bool _hasClaims;
    private readonly ILogger _logger;
    private readonly TenantDataSource _tenants;
    private readonly EndpointConnections _endpoints;

    public TenantMiddleware(
        RequestDelegate next, DapperTenantsSettings settings, TenantDataSource tenants, EndpointConnections endpoints, ILogger<TenantMiddleware> logger)
    {
        _next = next;
        _tenants = tenants;
        _endpoints = endpoints;
        _settings = settings;
        _resolver = new TenantResolver([.. settings.Strategies], tenants.Options.MaxTenantLength);
        _hasClaims = settings.Strategies.Any(s => s.IsClaim);
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        if (_hasClaims && context.Features.Get<IAuthenticationFeature>() is null)
        {
            // Before authentication the user has no claims, so a header would decide alone: refuse to run that way.
            throw new InvalidOperationException(
                "UseDapperTenants() runs before authentication, so the tenant claim cannot be checked and a header, route or host "
                + "value would decide alone. Call app.UseAuthentication() before app.UseDapperTenants().");
        }

        var endpoint = context.GetEndpoint();
        var needsTenant = endpoint is not null && endpoint.Metadata.GetMetadata<AllowWithoutTenantAttribute>() is null;
        var resolution = await _resolver.ResolveAsync(context).ConfigureAwait(false);
        switch (resolution.Outcome)
        {
            case TenantResolutionOutcome.Resolved:
                var request = context.RequestServices.GetRequiredService<TenantRequest>();
                request.Tenant = resolution.Tenant;
                if (endpoint is not null && _endpoints.Wants(endpoint))
                {
                    request.Opened = await _tenants.OpenAsync(resolution.Tenant!, context.RequestAborted).ConfigureAwait(false);
                }

                try
                {
                    using (TenantScope.Begin(resolution.Tenant!))
                    {
                        await _next(context).ConfigureAwait(false);
                    }
                }
                finally
                {
                    if (request.Opened is { } opened && !request.Handed)
                    {
                        await opened.DisposeAsync().ConfigureAwait(false);
                    }
                }

                return;

            case TenantResolutionOutcome.Conflict:
                AspNetCoreLog.TenantConflict(_logger, resolution.Source!);
                await ProblemAsync(context, StatusCodes.Status403Forbidden, "Tenant mismatch",
                    "The tenant named by the request is not a tenant of the signed-in user.").ConfigureAwait(false);
                return;

            case TenantResolutionOutcome.Invalid:
                AspNetCoreLog.TenantInvalid(_logger, resolution.Source!, resolution.Problem!);
                await ProblemAsync(context, StatusCodes.Status400BadRequest, "Invalid tenant", resolution.Problem!).ConfigureAwait(false);
                return;

            default:
                if (!needsTenant)
                {
                    await _next(context).ConfigureAwait(false);
                    return;
                }

                if (_settings.MissingTenantHandler is { } handler)
                {
                    AspNetCoreLog.TenantMissingHandled(_logger);
                    await handler(context).ConfigureAwait(false);
                    return;
                }

                AspNetCoreLog.TenantMissing(_logger, _settings.MissingTenantStatusCode);
                await ProblemAsync(context, _settings.MissingTenantStatusCode, "No tenant",
                    "This endpoint needs a tenant, and the request names none.").ConfigureAwait(false);
                return;
        }
    }

    /// <summary>Writes a ProblemDetails body, through the application's <c>IProblemDetailsService</c> when it has one.</summary>
    private static Task ProblemAsync(HttpContext context, int statusCode, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: statusCode, title: title).ExecuteAsync(context);
}
