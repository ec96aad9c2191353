using DapperTenants.AspNetCore;

// In the namespace of IApplicationBuilder and IEndpointConventionBuilder's extensions (RequireAuthorization, WithMetadata).
namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds DapperTenants to the request pipeline and marks endpoints that run without a tenant.</summary>
public static class DapperTenantsApplicationBuilderExtensions
{
    /// <summary>
    /// Resolves the tenant of each request with the strategies configured on <c>AddDapperTenants(...)</c> and runs the
    /// request inside a <see cref="DapperTenants.TenantScope"/> for it. Endpoints need a tenant unless marked
    /// <see cref="AllowWithoutTenant{TBuilder}"/> or <see cref="AllowWithoutTenantAttribute"/>.
    /// </summary>
    /// <param name="app">The application builder.</param>
    /// <returns>The application builder.</returns>
    /// <exception cref="InvalidOperationException"><c>AddDapperTenants</c> was not called, or configured no strategy.</exception>
    /// <remarks>Place it after routing and authentication (where <c>WebApplication</c> puts middleware by default).</remarks>
    public static IApplicationBuilder UseDapperTenants(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var settings = app.ApplicationServices.GetService(typeof(DapperTenantsSettings)) as DapperTenantsSettings
            ?? throw new InvalidOperationException("UseDapperTenants() needs builder.Services.AddDapperTenants(...) first.");
        if (settings.Strategies.Count == 0)
        {
            throw new InvalidOperationException(
                "AddDapperTenants(...) names no way to find the tenant of a request. Add FromHeader, FromClaim, FromHost, FromRoute or From to the builder it returns.");
        }

        return app.UseMiddleware<TenantMiddleware>();
    }

    /// <summary>Lets the endpoints run without a tenant (health checks, sign-in, public pages).</summary>
    /// <typeparam name="TBuilder">The endpoint convention builder.</typeparam>
    /// <param name="builder">The endpoints, for example the result of <c>MapGet</c> or <c>MapGroup</c>.</param>
    /// <returns>The builder.</returns>
    public static TBuilder AllowWithoutTenant<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithMetadata(new AllowWithoutTenantAttribute());
    }
}
