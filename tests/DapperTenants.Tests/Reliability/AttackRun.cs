using System.Data.Common;

namespace DapperTenants.Tests.Reliability;

/// <summary>What a scripted attack (<see cref="AttackCase.Script"/>) gets: acme's lease, the data source it came from, and how to run SQL.</summary>
public sealed class AttackRun
{
    /// <summary>acme's tenant connection, open.</summary>
    public required TenantConnection Acme { get; init; }

    /// <summary>The data source of <see cref="Acme"/>, for more leases.</summary>
    public required TenantDataSource Tenants { get; init; }

    /// <summary>The database the attack runs on.</summary>
    public required AttackDatabase Db { get; init; }

    /// <summary>Whether to use Dapper's synchronous API.</summary>
    public required bool Sync { get; init; }

    /// <summary>Runs SQL through Dapper's reader, synchronously or not as the run says, and returns every value; errors propagate.</summary>
    public Task<List<string>> ReadAsync(DbConnection connection, string sql, object? parameters = null) =>
        AttackExecution.ReadAsync(connection, sql, parameters, Sync);

    /// <summary>Runs SQL in <paramref name="transaction"/> through Dapper's reader and returns every value; errors propagate.</summary>
    public Task<List<string>> ReadAsync(DbConnection connection, string sql, DbTransaction transaction) =>
        AttackExecution.ReadAsync(connection, sql, null, Sync, transaction);

    /// <summary>Opens a lease of <see cref="Tenants"/>, synchronously or not as the run says.</summary>
    public async Task<TenantConnection> OpenAsync(string tenant) => Sync ? Tenants.Open(tenant) : await Tenants.OpenAsync(tenant);
}
