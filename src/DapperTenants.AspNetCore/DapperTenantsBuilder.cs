using DapperTenants.AspNetCore.Resolution;
using DapperTenants.AspNetCore.Startup;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace DapperTenants.AspNetCore;

/// <summary>
/// Configures how <c>UseDapperTenants()</c> finds the tenant of a request, how it answers a request without one, and
/// whether the policies are applied at startup. Returned by <c>AddDapperTenants(...)</c>.
/// </summary>
/// <remarks>
/// <para>
/// Strategies run in the order they are added; the first that finds a value wins. With a <see cref="FromClaim"/>
/// strategy, a signed-in user's claim is authoritative: every other strategy still runs, and a value that is not one of
/// the user's tenants is refused with 403 (a header must not let a user of acme act as globex). A user with several
/// tenant claims picks one through another strategy.
/// </para>
/// <para>
/// A value the data source would refuse (empty, too long, NUL, an unpaired surrogate) or a header sent twice is
/// answered with 400 ProblemDetails, never a 500.
/// </para>
/// </remarks>
public sealed class DapperTenantsBuilder
{
    private readonly DapperTenantsSettings _settings;

    internal DapperTenantsBuilder(IServiceCollection services, DapperTenantsSettings settings)
    {
        Services = services;
        _settings = settings;
    }

    /// <summary>The service collection the integration was added to.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Reads the tenant from a request header, such as <c>X-Tenant</c>.</summary>
    /// <param name="headerName">The header name (case-insensitive, as HTTP has it).</param>
    /// <returns>This builder.</returns>
    /// <remarks>Any client can send any header: combine it with <see cref="FromClaim"/> when users sign in.</remarks>
    public DapperTenantsBuilder FromHeader(string headerName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(headerName);
        return Add(new HeaderStrategy(headerName));
    }

    /// <summary>Reads the tenant from a claim of the signed-in user's authenticated identities.</summary>
    /// <param name="claimType">The claim type, such as <c>tenant</c> or <c>tid</c>.</param>
    /// <returns>This builder.</returns>
    /// <remarks>
    /// Needs authentication to run before <c>UseDapperTenants()</c> (<c>WebApplication</c> does it when authentication is
    /// configured); otherwise the middleware throws rather than let another strategy decide alone.
    /// </remarks>
    public DapperTenantsBuilder FromClaim(string claimType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(claimType);
        return Add(new ClaimStrategy(claimType));
    }

    /// <summary>Reads the tenant from the host name: the one label in front of <paramref name="domain"/>, in lower case.</summary>
    /// <param name="domain">The parent domain, such as <c>example.com</c>: <c>acme.example.com</c> names <c>acme</c>.</param>
    /// <returns>This builder.</returns>
    /// <remarks>
    /// The bare domain, deeper names (<c>a.b.example.com</c>) and other domains name no tenant. Behind a proxy, make sure
    /// the <c>Host</c> header reaching the application is the one the proxy validated (see <c>UseForwardedHeaders</c>).
    /// </remarks>
    public DapperTenantsBuilder FromHost(string domain)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(domain);
        if (domain.Trim('.', ' ').Length == 0)
        {
            throw new ArgumentException("The domain has no name in it. Pass the parent domain, such as \"example.com\".", nameof(domain));
        }

        return Add(new HostStrategy(domain));
    }

    /// <summary>Reads the tenant from a route value of the matched endpoint, such as <c>{tenant}</c> in <c>/t/{tenant}/orders</c>.</summary>
    /// <param name="routeKey">The route parameter's name.</param>
    /// <returns>This builder.</returns>
    public DapperTenantsBuilder FromRoute(string routeKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(routeKey);
        return Add(new RouteStrategy(routeKey));
    }

    /// <summary>Reads the tenant with the application's own code, for example from an API key.</summary>
    /// <param name="resolve">Returns the tenant, or <see langword="null"/> (or an empty string) when the request names none.</param>
    /// <returns>This builder.</returns>
    public DapperTenantsBuilder From(Func<HttpContext, ValueTask<string?>> resolve)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        return Add(new CustomStrategy(resolve, _settings.Strategies.Count(s => s is CustomStrategy) + 1));
    }

    /// <summary>Answers a request that names no tenant, on an endpoint that needs one, with another status than 404.</summary>
    /// <param name="statusCode">400, 401, 403 or 404 (the default); the body is ProblemDetails.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Another status code.</exception>
    public DapperTenantsBuilder OnMissingTenant(int statusCode)
    {
        if (statusCode is not (StatusCodes.Status400BadRequest or StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden or StatusCodes.Status404NotFound))
        {
            throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode,
                "A request without a tenant is answered with 400, 401, 403 or 404. For anything else, pass a handler to OnMissingTenant.");
        }

        _settings.MissingTenantStatusCode = statusCode;
        _settings.MissingTenantHandler = null;
        return this;
    }

    /// <summary>Answers a request that names no tenant, on an endpoint that needs one, with the application's own response.</summary>
    /// <param name="handler">Writes the response; the endpoint does not run.</param>
    /// <returns>This builder.</returns>
    public DapperTenantsBuilder OnMissingTenant(Func<HttpContext, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _settings.MissingTenantHandler = handler;
        return this;
    }

    /// <summary>
    /// Applies the policies of the <see cref="RlsAttribute"/> types once at startup, as the tables' owner, before the
    /// server accepts requests. An error (a missing table, a type the installer cannot map) stops the application with
    /// the installer's messages. The health check then also reports drift from these types.
    /// </summary>
    /// <param name="ownerConnectionString">A connection string for the role that owns the tables (never the application's login).</param>
    /// <param name="configure">Registers the types on the installer, for example <c>i =&gt; i.AddAssembly(typeof(Order).Assembly)</c>.</param>
    /// <returns>This builder.</returns>
    public DapperTenantsBuilder ApplyPoliciesAtStartup(string ownerConnectionString, Action<PolicyInstaller> configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ownerConnectionString);
        ArgumentNullException.ThrowIfNull(configure);
        return UsePolicies(PolicySetup.FromConnectionString(ownerConnectionString, configure));
    }

    /// <summary>
    /// Applies the policies at startup, as <see cref="ApplyPoliciesAtStartup(string, Action{PolicyInstaller})"/> does,
    /// through an owner's <see cref="NpgsqlDataSource"/> from DI, for example a keyed one:
    /// <c>sp =&gt; sp.GetRequiredKeyedService&lt;NpgsqlDataSource&gt;("owner")</c>.
    /// </summary>
    /// <param name="ownerDataSource">Returns the owner's data source; the container keeps ownership of it.</param>
    /// <param name="configure">Registers the types on the installer.</param>
    /// <returns>This builder.</returns>
    public DapperTenantsBuilder ApplyPoliciesAtStartup(Func<IServiceProvider, NpgsqlDataSource> ownerDataSource, Action<PolicyInstaller> configure)
    {
        ArgumentNullException.ThrowIfNull(ownerDataSource);
        ArgumentNullException.ThrowIfNull(configure);
        return UsePolicies(PolicySetup.FromDataSource(ownerDataSource, configure));
    }

    private DapperTenantsBuilder UsePolicies(PolicySetup setup)
    {
        if (_settings.Policies is not null)
        {
            throw new InvalidOperationException("ApplyPoliciesAtStartup was already called. Register every type in one call's configure action.");
        }

        _settings.Policies = setup;
        Services.TryAddSingleton<OwnerDataSource>();
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PolicyStartup>());
        return this;
    }

    private DapperTenantsBuilder Add(TenantStrategy strategy)
    {
        _settings.Strategies.Add(strategy);
        return this;
    }
}
