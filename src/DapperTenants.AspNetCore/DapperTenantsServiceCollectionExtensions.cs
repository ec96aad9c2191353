using System.Diagnostics.CodeAnalysis;
using DapperTenants;
using DapperTenants.AspNetCore;
using Microsoft.Extensions.Logging;
using Npgsql;

// In the namespace of IServiceCollection, as Npgsql's AddNpgsqlDataSource, so no extra using is needed.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers DapperTenants in a service collection.</summary>
public static class DapperTenantsServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="TenantDataSource"/> (a singleton that owns its <see cref="NpgsqlDataSource"/>) and a
    /// <see cref="TenantConnection"/> per request scope, opened for the request's tenant on first use and disposed with the scope.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="connectionString">An Npgsql connection string for the application's login (NOSUPERUSER NOBYPASSRLS, not the tables' owner).</param>
    /// <param name="configure">Sets tenant options; <see cref="TenantOptions.LoggerFactory"/> defaults to the application's.</param>
    /// <returns>A builder to say where the tenant of a request comes from.</returns>
    /// <exception cref="InvalidOperationException">DapperTenants was already added to this service collection.</exception>
    /// <remarks>
    /// The scoped connection opens synchronously when it is first resolved: from a warm pool that is no I/O (Npgsql
    /// resets a pooled connection with its next command). Outside a request, it opens for <see cref="TenantScope.Current"/>.
    /// </remarks>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The two overloads differ in their first required parameter, as Npgsql's AddNpgsqlDataSource overloads do.")]
    public static DapperTenantsBuilder AddDapperTenants(this IServiceCollection services, string connectionString, Action<TenantOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return Register(services, sp => TenantDataSource.Create(connectionString, options =>
        {
            options.LoggerFactory = sp.GetService<ILoggerFactory>();
            configure?.Invoke(options);
        }));
    }

    /// <summary>
    /// Registers DapperTenants over the <see cref="NpgsqlDataSource"/> already in the container, as registered by
    /// Npgsql.DependencyInjection's <c>AddNpgsqlDataSource</c> (keyed or not). The container keeps ownership of it.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets tenant options; <see cref="TenantOptions.LoggerFactory"/> defaults to the application's.</param>
    /// <param name="dataSourceKey">The service key of a keyed <see cref="NpgsqlDataSource"/>; <see langword="null"/> for the unkeyed one.</param>
    /// <returns>A builder to say where the tenant of a request comes from.</returns>
    /// <exception cref="InvalidOperationException">DapperTenants was already added to this service collection.</exception>
    /// <remarks>The data source must connect as the application's login; its pooling settings apply to tenant connections.</remarks>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The two overloads differ in their first required parameter, as Npgsql's AddNpgsqlDataSource overloads do.")]
    public static DapperTenantsBuilder AddDapperTenants(this IServiceCollection services, Action<TenantOptions>? configure = null, object? dataSourceKey = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        return Register(services, sp =>
        {
            var dataSource = (dataSourceKey is null ? sp.GetService<NpgsqlDataSource>() : sp.GetKeyedService<NpgsqlDataSource>(dataSourceKey))
                ?? throw new InvalidOperationException(
                    (dataSourceKey is null ? "AddDapperTenants() found no NpgsqlDataSource in the container. " : $"AddDapperTenants() found no NpgsqlDataSource with the key '{dataSourceKey}' in the container. ")
                    + "Register one with services.AddNpgsqlDataSource(connectionString) (package Npgsql.DependencyInjection), or call AddDapperTenants(connectionString).");
            var options = new TenantOptions { LoggerFactory = sp.GetService<ILoggerFactory>() };
            configure?.Invoke(options);
            return new TenantDataSource(dataSource, options);
        });
    }

    private static DapperTenantsBuilder Register(IServiceCollection services, Func<IServiceProvider, TenantDataSource> create)
    {
        if (services.Any(d => d.ServiceType == typeof(DapperTenantsSettings)))
        {
            throw new InvalidOperationException("AddDapperTenants was already called on this service collection. Call it once and configure the returned builder.");
        }

        var settings = new DapperTenantsSettings();
        services.AddSingleton(settings);
        services.AddSingleton(create);
        services.AddScoped<TenantRequest>();
        services.AddSingleton<EndpointConnections>();
        services.AddScoped(OpenForScope);
        return new DapperTenantsBuilder(services, settings);
    }

    private static TenantConnection OpenForScope(IServiceProvider services)
    {
        var request = services.GetRequiredService<TenantRequest>();
        if (request.Opened is { } opened && !request.Handed)
        {
            request.Handed = true;
            return opened;
        }

        var tenant = request.Tenant ?? TenantScope.Current
            ?? throw new InvalidOperationException(
                "A TenantConnection was requested where no tenant is known: the request named none (an endpoint marked AllowWithoutTenant), "
                + "app.UseDapperTenants() is missing from the pipeline, or the scope was created outside a request without a TenantScope. "
                + "Inject TenantConnection only where a tenant is resolved, or open one with TenantDataSource.Open(tenant).");
        return services.GetRequiredService<TenantDataSource>().Open(tenant);
    }
}
