using Npgsql;

namespace DapperTenants.AspNetCore.Startup;

/// <summary>How to reach the tables' owner and which types to install: used at startup and by the health check.</summary>
internal sealed class PolicySetup
{
    private PolicySetup(string? ownerConnectionString, Func<IServiceProvider, NpgsqlDataSource>? ownerDataSource, Action<PolicyInstaller> configure)
    {
        OwnerConnectionString = ownerConnectionString;
        OwnerDataSource = ownerDataSource;
        Configure = configure;
    }

    /// <summary>A connection string for the owner; the integration then creates and disposes the data source.</summary>
    public string? OwnerConnectionString { get; }

    /// <summary>The owner's data source from DI; the container owns it.</summary>
    public Func<IServiceProvider, NpgsqlDataSource>? OwnerDataSource { get; }

    /// <summary>Registers the <see cref="RlsAttribute"/> types (and grants) on a fresh installer.</summary>
    public Action<PolicyInstaller> Configure { get; }

    public static PolicySetup FromConnectionString(string connectionString, Action<PolicyInstaller> configure) => new(connectionString, null, configure);

    public static PolicySetup FromDataSource(Func<IServiceProvider, NpgsqlDataSource> dataSource, Action<PolicyInstaller> configure) => new(null, dataSource, configure);
}
