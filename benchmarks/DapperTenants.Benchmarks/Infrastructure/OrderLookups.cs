using Dapper;
using DapperTenants.Benchmarks.Models;
using Npgsql;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// Scenario 1's unit of work in each of its forms: open, read one order by primary key, close. Shared by
/// <see cref="Scenarios.OpenQueryClose"/> and <see cref="Scenarios.Concurrency"/>.
/// </summary>
/// <remarks>
/// Every form reads the same columns of the same row and maps it to the same type; only how the tenant reaches the
/// server differs. Each form has a pool of its own.
/// </remarks>
public sealed class OrderLookups : IAsyncDisposable
{
    private const string Columns = "id, tenant, customer_id as CustomerId, total, created_at as CreatedAt";
    private const string ExplicitWhereSql = "select " + Columns + " from orders_plain where tenant = @Tenant and id = @Id";
    private const string PolicySql = "select " + Columns + " from orders where id = @Id";
    private const string SignedPolicySql = "select " + Columns + " from signed_orders where id = @Id";
    private const string RolePolicySql = "select " + Columns + " from orders_by_role where id = @Id";
    private const string SetConfigSql = "select set_config('" + TenantOptions.DefaultSettingName + "', @Tenant, false)";
    private const string SameStatementsSql = "select set_config('" + TenantOptions.DefaultSettingName + "', @Tenant, true);" + PolicySql;
    private const string PipelinedResetSql = "discard all;";

    private readonly NpgsqlDataSource _owner;
    private readonly TenantDataSource _transactionScope;
    private readonly TenantDataSource _sessionScope;
    private readonly TenantDataSource _signed;
    private readonly TenantDataSource _strict;
    private readonly NpgsqlDataSource _recipe;
    private readonly NpgsqlDataSource _roles;
    private readonly NpgsqlDataSource _byHand;
    private readonly NpgsqlDataSource _ownerNoReset;
    private readonly NpgsqlDataSource _byHandNoReset;
    private readonly string[] _setRole;

    private OrderLookups(Dataset dataset, bool autoPrepare, Func<string, string>? route)
    {
        Dataset = dataset;
        AutoPrepare = autoPrepare;
        _owner = BenchDataSources.Owner(autoPrepare, route);
        _transactionScope = BenchDataSources.Tenants(autoPrepare, TenantContextScope.Transaction, route);
        _sessionScope = BenchDataSources.Tenants(autoPrepare, TenantContextScope.Session, route);
        _signed = BenchDataSources.SignedTenants(autoPrepare, TenantContextScope.Transaction, route);
        _strict = BenchDataSources.StrictTenants(autoPrepare, TenantContextScope.Transaction, route);
        _recipe = BenchDataSources.App(autoPrepare, route);
        _roles = BenchDataSources.App(autoPrepare, route);
        _byHand = BenchDataSources.App(autoPrepare, route);
        _ownerNoReset = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(BenchDataSources.With(BenchDataSources.OwnerConnectionString, autoPrepare, route)) { NoResetOnClose = true }.ConnectionString);
        _byHandNoReset = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(BenchDataSources.With(BenchDataSources.AppConnectionString, autoPrepare, route)) { NoResetOnClose = true }.ConnectionString);

        // What a role-per-tenant application sends: the role is an identifier, so it cannot be a bound parameter.
        _setRole = new string[dataset.Tenants + 1];
        for (var i = 1; i <= dataset.Tenants; i++)
        {
            _setRole[i] = "set role \"" + dataset.Role(i) + "\"";
        }
    }

    public Dataset Dataset { get; }

    /// <summary>Whether every pool has Npgsql's automatic preparation on.</summary>
    public bool AutoPrepare { get; }

    /// <param name="autoPrepare">Npgsql's automatic preparation on every pool.</param>
    /// <param name="route">Rewrites every pool's connection string (a <see cref="RoundTripProxy"/>); none by default.</param>
    public static async Task<OrderLookups> CreateAsync(bool autoPrepare, Func<string, string>? route = null) =>
        new(await Dataset.ReadAsync(BenchDataSources.OwnerConnectionString), autoPrepare, route);

    /// <summary>Baseline: raw Npgsql + Dapper as the owner on the table without RLS, tenant in the WHERE clause.</summary>
    public async Task<Order?> ExplicitWhereAsync(OrderKey key)
    {
        await using var connection = await _owner.OpenConnectionAsync();
        return await connection.QueryFirstOrDefaultAsync<Order>(ExplicitWhereSql, new { key.Tenant, key.Id });
    }

    /// <summary>The library's default: the tenant rides in the same round trip as the query, transaction-local.</summary>
    public async Task<Order?> TenantConnectionAsync(OrderKey key)
    {
        await using var connection = await _transactionScope.OpenAsync(key.Tenant);
        return await connection.QueryFirstOrDefaultAsync<Order>(PolicySql, new { key.Id });
    }

    /// <summary>The library with <see cref="TenantContextScope.Session"/>: the first statement after open carries the tenant.</summary>
    public async Task<Order?> TenantConnectionSessionAsync(OrderKey key)
    {
        await using var connection = await _sessionScope.OpenAsync(key.Tenant);
        return await connection.QueryFirstOrDefaultAsync<Order>(PolicySql, new { key.Id });
    }

    /// <summary>
    /// The library's default with the signed context (<see cref="SignedBench"/>): the setting carries the tenant's token,
    /// and the policy of <c>signed_orders</c> verifies it. Compare with <see cref="TenantConnectionAsync"/>.
    /// </summary>
    public async Task<Order?> SignedTenantConnectionAsync(OrderKey key)
    {
        await using var connection = await _signed.OpenAsync(key.Tenant);
        return await connection.QueryFirstOrDefaultAsync<Order>(SignedPolicySql, new { key.Id });
    }

    /// <summary>
    /// The library's default in strict mode (<see cref="StrictBench"/>): the open admits only registered, active tenants;
    /// the same statements and tables as <see cref="TenantConnectionAsync"/>, which it is compared with.
    /// </summary>
    public async Task<Order?> StrictTenantConnectionAsync(OrderKey key)
    {
        await using var connection = await _strict.OpenAsync(key.Tenant);
        return await connection.QueryFirstOrDefaultAsync<Order>(PolicySql, new { key.Id });
    }

    /// <summary>The usual hand-written recipe: <c>set_config</c> as a command of its own, then the query (two round trips).</summary>
    public async Task<Order?> HandWrittenAsync(OrderKey key)
    {
        await using var connection = await _recipe.OpenConnectionAsync();
        await connection.ExecuteAsync(SetConfigSql, new { key.Tenant });
        return await connection.QueryFirstOrDefaultAsync<Order>(PolicySql, new { key.Id });
    }

    /// <summary>sqlalchemy-tenants' approach: <c>SET ROLE tenant_x</c> as a command of its own, then the query.</summary>
    public async Task<Order?> RolePerTenantAsync(OrderKey key)
    {
        await using var connection = await _roles.OpenConnectionAsync();
        await connection.ExecuteAsync(_setRole[key.TenantIndex]);
        return await connection.QueryFirstOrDefaultAsync<Order>(RolePolicySql, new { key.Id });
    }

    /// <summary>
    /// The floor of any one-round-trip approach, not a competitor: the statements <see cref="TenantConnectionAsync"/>
    /// sends (<c>set_config(…, true)</c> and the query in one command), written by hand on raw Npgsql, the row mapped by
    /// Dapper's row parser. The difference to <see cref="TenantConnectionAsync"/> is the library's own client cost; the
    /// difference to the baseline is what the server and the protocol charge for the policy and the extra statement.
    /// </summary>
    public async Task<Order?> SameStatementsByHandAsync(OrderKey key)
    {
        await using var connection = await _byHand.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = SameStatementsSql;
        command.Parameters.Add(new NpgsqlParameter<string>("Tenant", key.Tenant));
        command.Parameters.Add(new NpgsqlParameter<long>("Id", key.Id));
        await using var reader = await command.ExecuteReaderAsync();
        await reader.NextResultAsync();
        return await reader.ReadAsync() ? reader.GetRowParser<Order>()(reader) : null;
    }

    /// <summary>The baseline, synchronous (for <see cref="CostBreakdown"/>, which measures the calling thread's CPU).</summary>
    public Order? ExplicitWhere(OrderKey key)
    {
        using var connection = _owner.OpenConnection();
        return connection.QueryFirstOrDefault<Order>(ExplicitWhereSql, new { key.Tenant, key.Id });
    }

    /// <summary>The library's default, synchronous.</summary>
    public Order? TenantConnection(OrderKey key)
    {
        using var connection = _transactionScope.Open(key.Tenant);
        return connection.QueryFirstOrDefault<Order>(PolicySql, new { key.Id });
    }

    /// <summary>The signed context, synchronous.</summary>
    public Order? SignedTenantConnection(OrderKey key)
    {
        using var connection = _signed.Open(key.Tenant);
        return connection.QueryFirstOrDefault<Order>(SignedPolicySql, new { key.Id });
    }

    /// <summary>The strict mode, synchronous.</summary>
    public Order? StrictTenantConnection(OrderKey key)
    {
        using var connection = _strict.Open(key.Tenant);
        return connection.QueryFirstOrDefault<Order>(PolicySql, new { key.Id });
    }

    /// <summary>The hand-written recipe, synchronous.</summary>
    public Order? HandWritten(OrderKey key)
    {
        using var connection = _recipe.OpenConnection();
        connection.Execute(SetConfigSql, new { key.Tenant });
        return connection.QueryFirstOrDefault<Order>(PolicySql, new { key.Id });
    }

    /// <summary>Role per tenant, synchronous.</summary>
    public Order? RolePerTenant(OrderKey key)
    {
        using var connection = _roles.OpenConnection();
        connection.Execute(_setRole[key.TenantIndex]);
        return connection.QueryFirstOrDefault<Order>(RolePolicySql, new { key.Id });
    }

    /// <summary>The floor, synchronous.</summary>
    public Order? SameStatementsByHand(OrderKey key)
    {
        using var connection = _byHand.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = SameStatementsSql;
        command.Parameters.Add(new NpgsqlParameter<string>("Tenant", key.Tenant));
        command.Parameters.Add(new NpgsqlParameter<long>("Id", key.Id));
        using var reader = command.ExecuteReader();
        reader.NextResult();
        return reader.Read() ? reader.GetRowParser<Order>()(reader) : null;
    }

    /// <summary>
    /// A what-if for <see cref="WakeupCount"/>, not a competitor: the baseline's query by hand, on a pool without Npgsql's
    /// reset, with the reset (<c>discard all</c>) sent as the first statement of the same command instead. Npgsql sends
    /// its reset as a separate simple-protocol query that the server answers in a flush of its own; pipelined, the
    /// whole response comes in one. Only valid without auto-prepare (<c>discard all</c> drops prepared statements).
    /// </summary>
    public Order? ExplicitWherePipelinedReset(OrderKey key) => PipelinedReset(_ownerNoReset, ExplicitWhereSql, key);

    /// <summary>The same what-if for the floor: <c>discard all</c>, <c>set_config(…, true)</c> and the query in one command.</summary>
    public Order? SameStatementsPipelinedReset(OrderKey key) => PipelinedReset(_byHandNoReset, SameStatementsSql, key);

    /// <summary>The server processes behind the two what-if pools.</summary>
    public (int ExplicitWhere, int SameStatements) PipelinedResetProcessIds()
    {
        using var owner = _ownerNoReset.OpenConnection();
        using var byHand = _byHandNoReset.OpenConnection();
        return (owner.ProcessID, byHand.ProcessID);
    }

    /// <summary>The server process behind the idle connection of each pool that <see cref="CostBreakdown"/> uses.</summary>
    public BackendIds BackendProcessIds()
    {
        using var owner = _owner.OpenConnection();
        using var tenant = _transactionScope.Open(Dataset.Tenant(1));
        using var signed = _signed.Open(Dataset.Tenant(1));
        using var strict = _strict.Open(Dataset.Tenant(1));
        using var byHand = _byHand.OpenConnection();
        using var recipe = _recipe.OpenConnection();
        using var roles = _roles.OpenConnection();
        return new(owner.ProcessID, tenant.InnerConnection.ProcessID, signed.InnerConnection.ProcessID, strict.InnerConnection.ProcessID, byHand.ProcessID, recipe.ProcessID, roles.ProcessID);
    }

    /// <summary>Opens <paramref name="connections"/> connections of every pool at once, so that the pools start full.</summary>
    public async Task WarmAsync(int connections)
    {
        foreach (var source in new[] { _owner, _recipe, _roles, _byHand })
        {
            var open = await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => source.OpenConnectionAsync().AsTask()));
            foreach (var connection in open)
            {
                await connection.DisposeAsync();
            }
        }

        foreach (var source in new[] { _transactionScope, _sessionScope, _signed, _strict })
        {
            var open = await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => source.OpenAsync(Dataset.Tenant(1)).AsTask()));
            foreach (var connection in open)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>Every form returns the key's row and no other tenant's; the pool resets a role-per-tenant connection's role.</summary>
    public async Task VerifyAsync(OrderKey key)
    {
        await Verify.OrderLookupAsync("explicit WHERE", ExplicitWhereAsync, Dataset, key);
        await Verify.OrderLookupAsync("TenantConnection (transaction)", TenantConnectionAsync, Dataset, key);
        await Verify.OrderLookupAsync("TenantConnection (session)", TenantConnectionSessionAsync, Dataset, key);
        await Verify.OrderLookupAsync("hand-written set_config", HandWrittenAsync, Dataset, key);
        await Verify.OrderLookupAsync("role per tenant", RolePerTenantAsync, Dataset, key);
        await Verify.OrderLookupAsync("same statements by hand", SameStatementsByHandAsync, Dataset, key);
        await Verify.OrderLookupAsync("TenantConnection (signed)", SignedTenantConnectionAsync, Dataset, key);
        await Verify.OrderLookupAsync("TenantConnection (strict)", StrictTenantConnectionAsync, Dataset, key);
        Verify.OrderLookup("explicit WHERE, synchronous", ExplicitWhere, Dataset, key);
        Verify.OrderLookup("TenantConnection, synchronous", TenantConnection, Dataset, key);
        Verify.OrderLookup("TenantConnection (signed), synchronous", SignedTenantConnection, Dataset, key);
        Verify.OrderLookup("TenantConnection (strict), synchronous", StrictTenantConnection, Dataset, key);
        Verify.OrderLookup("hand-written set_config, synchronous", HandWritten, Dataset, key);
        Verify.OrderLookup("role per tenant, synchronous", RolePerTenant, Dataset, key);
        Verify.OrderLookup("same statements by hand, synchronous", SameStatementsByHand, Dataset, key);

        // The strict side measures the check only if the check is on: an unregistered tenant must not open.
        var refused = false;
        try
        {
            await using var unregistered = await _strict.OpenAsync(StrictBench.UnregisteredTenant);
        }
        catch (TenantNotFoundException)
        {
            refused = true;
        }

        Verify.That(refused, $"strict TenantConnection: the unregistered tenant '{StrictBench.UnregisteredTenant}' opened; RequireRegisteredTenant is not in effect.");

        await using var connection = await _roles.OpenConnectionAsync();
        var user = await connection.ExecuteScalarAsync<string>("select current_user");
        var app = new NpgsqlConnectionStringBuilder(BenchDataSources.AppConnectionString).Username;
        Verify.That(user == app, $"role per tenant: a pooled connection came back as '{user}', not the login '{app}'; the pool does not reset SET ROLE.");
    }

    public async ValueTask DisposeAsync()
    {
        await _owner.DisposeAsync();
        await _transactionScope.DisposeAsync();
        await _sessionScope.DisposeAsync();
        await _signed.DisposeAsync();
        await _strict.DisposeAsync();
        await _recipe.DisposeAsync();
        await _roles.DisposeAsync();
        await _byHand.DisposeAsync();
        await _ownerNoReset.DisposeAsync();
        await _byHandNoReset.DisposeAsync();
    }

    private static Order? PipelinedReset(NpgsqlDataSource source, string sql, OrderKey key)
    {
        using var connection = source.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = PipelinedResetSql + sql;
        command.Parameters.Add(new NpgsqlParameter<string>("Tenant", key.Tenant));
        command.Parameters.Add(new NpgsqlParameter<long>("Id", key.Id));
        using var reader = command.ExecuteReader();
        return ReadOrder(reader);
    }

    // Skips to the orders result (Npgsql reports statements without a result set, such as discard all, as results
    // without fields) and maps its row.
    private static Order? ReadOrder(NpgsqlDataReader reader)
    {
        while (reader.FieldCount == 0 || reader.GetName(0) != "id")
        {
            if (!reader.NextResult())
            {
                return null;
            }
        }

        return reader.Read() ? reader.GetRowParser<Order>()(reader) : null;
    }
}
