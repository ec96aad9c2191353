using System.Data.Common;
using Npgsql;

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

    /// <summary>Whether the guard is off in this run (the signed context with the guard off, or an undefended control).</summary>
    public required bool GuardOff { get; init; }

    /// <summary>A data source of its own on <see cref="Db"/>, with the run's guard and signing key, changed as asked; the caller disposes it.</summary>
    public TenantDataSource CreateTenants(Action<NpgsqlConnectionStringBuilder>? connection = null, Action<TenantOptions>? options = null) =>
        Db.CreateTenants(connection, o =>
        {
            o.GuardMode = GuardOff ? TenantGuardMode.Off : TenantGuardMode.Throw;
            options?.Invoke(o);
        });

    /// <summary>Runs SQL through Dapper's reader, synchronously or not as the run says, and returns every value; errors propagate.</summary>
    public Task<List<string>> ReadAsync(DbConnection connection, string sql, object? parameters = null) =>
        AttackExecution.ReadAsync(connection, sql, parameters, Sync);

    /// <summary>Runs SQL in <paramref name="transaction"/> through Dapper's reader and returns every value; errors propagate.</summary>
    public Task<List<string>> ReadAsync(DbConnection connection, string sql, DbTransaction transaction) =>
        AttackExecution.ReadAsync(connection, sql, null, Sync, transaction);

    /// <summary>Opens a lease of <see cref="Tenants"/>, synchronously or not as the run says.</summary>
    public async Task<TenantConnection> OpenAsync(string tenant) => Sync ? Tenants.Open(tenant) : await Tenants.OpenAsync(tenant);
}
