using Npgsql;

namespace DapperTenants.AspNetCore.Startup;

/// <summary>The tables' owner, for installing policies at startup and for the health check's drift check.</summary>
internal sealed class OwnerDataSource(DapperTenantsSettings settings, IServiceProvider services) : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private NpgsqlDataSource? _owned;

    /// <summary>Creates a new installer for the owner with the registered types, reading the same setting as <paramref name="tenants"/>.</summary>
    public PolicyInstaller CreateInstaller(TenantDataSource tenants)
    {
        var setup = settings.Policies ?? throw new InvalidOperationException("ApplyPoliciesAtStartup(...) was not configured.");
        var installer = new PolicyInstaller(Get(setup), tenants.Options);
        setup.Configure(installer);
        return installer;
    }

    private NpgsqlDataSource Get(PolicySetup setup)
    {
        if (setup.OwnerDataSource is { } fromServices)
        {
            return fromServices(services);
        }

        lock (_gate)
        {
            return _owned ??= NpgsqlDataSource.Create(setup.OwnerConnectionString!);
        }
    }

    public ValueTask DisposeAsync() => _owned?.DisposeAsync() ?? ValueTask.CompletedTask;
}
