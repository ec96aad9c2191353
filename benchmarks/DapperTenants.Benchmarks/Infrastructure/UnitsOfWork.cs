using Dapper;
using DapperTenants.Benchmarks.Models;
using Npgsql;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// Scenario 2's unit of work in each of its forms: open, begin, three reads (the order, its customer, the tenant's five
/// latest orders), two writes (insert a payment, credit the customer), commit, close. Shared by
/// <see cref="Scenarios.UnitOfWork"/>, <see cref="Scenarios.SignedContext"/> and <see cref="CostBreakdown"/>, async and
/// synchronous. Each form has a pool of its own; every form returns the rows it wrote (2).
/// </summary>
/// <remarks>
/// The writes go to the payments tables (append-only) and the customers tables (10 rows a tenant), never to the orders
/// the other scenarios read. On the RLS tables the SQL names no tenant: the policy filters the reads and the update,
/// and the payment's tenant comes from the column default.
/// </remarks>
public sealed class UnitsOfWork : IAsyncDisposable
{
    private const decimal Amount = 1.25m;
    private const string SetConfigLocalSql = "select set_config('" + TenantOptions.DefaultSettingName + "', @Tenant, true)";

    private readonly NpgsqlDataSource _owner;
    private readonly NpgsqlDataSource _byHand;
    private readonly NpgsqlDataSource _recipe;
    private readonly NpgsqlDataSource _roles;
    private readonly TenantDataSource _tenants;
    private readonly TenantDataSource _signed;
    private readonly string[] _setRole;

    private UnitsOfWork(Dataset dataset, bool autoPrepare, Func<string, string>? route)
    {
        Dataset = dataset;
        _owner = BenchDataSources.Owner(autoPrepare, route);
        _byHand = BenchDataSources.App(autoPrepare, route);
        _recipe = BenchDataSources.App(autoPrepare, route);
        _roles = BenchDataSources.App(autoPrepare, route);
        _tenants = BenchDataSources.Tenants(autoPrepare, TenantContextScope.Transaction, route);
        _signed = BenchDataSources.SignedTenants(autoPrepare, TenantContextScope.Transaction, route);
        _setRole = new string[dataset.Tenants + 1];
        for (var i = 1; i <= dataset.Tenants; i++)
        {
            _setRole[i] = "set role \"" + dataset.Role(i) + "\"";
        }
    }

    public Dataset Dataset { get; }

    /// <inheritdoc cref="OrderLookups.CreateAsync"/>
    public static async Task<UnitsOfWork> CreateAsync(bool autoPrepare, Func<string, string>? route = null) =>
        new(await Dataset.ReadAsync(BenchDataSources.OwnerConnectionString), autoPrepare, route);

    /// <summary>Raw Npgsql + Dapper as the owner on the tables without RLS, every statement naming the tenant.</summary>
    public async Task<int> ExplicitWhereAsync(OrderKey key)
    {
        await using var connection = await _owner.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var sql = UnitOfWorkSql.Plain;
        var order = Check(await connection.QueryFirstAsync<Order>(sql.Order, new { key.Tenant, key.Id }, transaction), key);
        var customer = await connection.QueryFirstAsync<Customer>(sql.Customer, new { key.Tenant, Id = order.CustomerId }, transaction);
        var recent = await connection.QueryAsync<OrderSummary>(sql.Recent, new { key.Tenant }, transaction);
        var written = await connection.ExecuteAsync(sql.Pay, new { key.Tenant, OrderId = order.Id, Amount }, transaction);
        written += await connection.ExecuteAsync(sql.Credit, new { key.Tenant, customer.Id, Amount }, transaction);
        await transaction.CommitAsync();
        return recent.Any() ? written : -1;
    }

    /// <summary>
    /// The reference: the statements <see cref="TenantConnectionAsync"/> sends, by hand on raw Npgsql + Dapper, as the
    /// application login: <c>set_config(…, true)</c> and the first read in one command (one round trip), then the rest.
    /// </summary>
    public async Task<int> SameStatementsByHandAsync(OrderKey key)
    {
        await using var connection = await _byHand.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var sql = UnitOfWorkSql.Policy;
        Order order;
        await using (var command = ContextAndFirstRead(connection, transaction, sql, key))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            await reader.NextResultAsync();
            await reader.ReadAsync();
            order = Check(reader.GetRowParser<Order>()(reader), key);
        }

        var written = await RestAsync(connection, transaction, sql, order);
        await transaction.CommitAsync();
        return written;
    }

    /// <summary>The library's default (transaction scope): only the first statement of the transaction carries the tenant.</summary>
    public async Task<int> TenantConnectionAsync(OrderKey key) => await TenantAsync(_tenants, UnitOfWorkSql.Policy, key);

    /// <summary>The library with the signed context, on the signed tables.</summary>
    public async Task<int> SignedTenantConnectionAsync(OrderKey key) => await TenantAsync(_signed, UnitOfWorkSql.Signed, key);

    /// <summary>The usual hand-written recipe: <c>set_config(…, true)</c> as a command of its own, then the statements.</summary>
    public async Task<int> HandWrittenAsync(OrderKey key)
    {
        await using var connection = await _recipe.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync(SetConfigLocalSql, new { key.Tenant }, transaction);
        var written = await AllAsync(connection, transaction, UnitOfWorkSql.Policy, key);
        await transaction.CommitAsync();
        return written;
    }

    /// <summary>Role per tenant (sqlalchemy-tenants): <c>SET ROLE</c> as a command of its own, then the statements.</summary>
    public async Task<int> RolePerTenantAsync(OrderKey key)
    {
        await using var connection = await _roles.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync(_setRole[key.TenantIndex], transaction: transaction);
        var written = await AllAsync(connection, transaction, UnitOfWorkSql.ByRole, key);
        await transaction.CommitAsync();
        return written;
    }

    /// <summary>The baseline, synchronous (the diagnoses measure the calling thread's CPU).</summary>
    public int ExplicitWhere(OrderKey key)
    {
        using var connection = _owner.OpenConnection();
        using var transaction = connection.BeginTransaction();
        var sql = UnitOfWorkSql.Plain;
        var order = Check(connection.QueryFirst<Order>(sql.Order, new { key.Tenant, key.Id }, transaction), key);
        var customer = connection.QueryFirst<Customer>(sql.Customer, new { key.Tenant, Id = order.CustomerId }, transaction);
        var recent = connection.Query<OrderSummary>(sql.Recent, new { key.Tenant }, transaction);
        var written = connection.Execute(sql.Pay, new { key.Tenant, OrderId = order.Id, Amount }, transaction);
        written += connection.Execute(sql.Credit, new { key.Tenant, customer.Id, Amount }, transaction);
        transaction.Commit();
        return recent.Any() ? written : -1;
    }

    /// <summary>The reference, synchronous.</summary>
    public int SameStatementsByHand(OrderKey key)
    {
        using var connection = _byHand.OpenConnection();
        using var transaction = connection.BeginTransaction();
        var sql = UnitOfWorkSql.Policy;
        Order order;
        using (var command = ContextAndFirstRead(connection, transaction, sql, key))
        using (var reader = command.ExecuteReader())
        {
            reader.NextResult();
            reader.Read();
            order = Check(reader.GetRowParser<Order>()(reader), key);
        }

        var written = Rest(connection, transaction, sql, order);
        transaction.Commit();
        return written;
    }

    /// <summary>The library's default, synchronous.</summary>
    public int TenantConnection(OrderKey key) => Tenant(_tenants, UnitOfWorkSql.Policy, key);

    /// <summary>The signed context, synchronous.</summary>
    public int SignedTenantConnection(OrderKey key) => Tenant(_signed, UnitOfWorkSql.Signed, key);

    /// <summary>The hand-written recipe, synchronous.</summary>
    public int HandWritten(OrderKey key)
    {
        using var connection = _recipe.OpenConnection();
        using var transaction = connection.BeginTransaction();
        connection.Execute(SetConfigLocalSql, new { key.Tenant }, transaction);
        var written = All(connection, transaction, UnitOfWorkSql.Policy, key);
        transaction.Commit();
        return written;
    }

    /// <summary>Role per tenant, synchronous.</summary>
    public int RolePerTenant(OrderKey key)
    {
        using var connection = _roles.OpenConnection();
        using var transaction = connection.BeginTransaction();
        connection.Execute(_setRole[key.TenantIndex], transaction: transaction);
        var written = All(connection, transaction, UnitOfWorkSql.ByRole, key);
        transaction.Commit();
        return written;
    }

    /// <summary>The server process behind the idle connection of the pool that serves <paramref name="form"/>.</summary>
    public int BackendProcessId(UnitOfWorkForm form)
    {
        switch (form)
        {
            case UnitOfWorkForm.TenantConnection or UnitOfWorkForm.SignedTenantConnection:
            {
                using var connection = (form == UnitOfWorkForm.TenantConnection ? _tenants : _signed).Open(Dataset.Tenant(1));
                return connection.InnerConnection.ProcessID;
            }

            default:
            {
                var source = form switch
                {
                    UnitOfWorkForm.ExplicitWhere => _owner,
                    UnitOfWorkForm.SameStatementsByHand => _byHand,
                    UnitOfWorkForm.HandWritten => _recipe,
                    _ => _roles,
                };
                using var connection = source.OpenConnection();
                return connection.ProcessID;
            }
        }
    }

    /// <summary>Every form writes its two rows, async and synchronous, and reads only the key's tenant.</summary>
    public async Task VerifyAsync(OrderKey key)
    {
        (string Name, Func<OrderKey, Task<int>> Async, Func<OrderKey, int> Sync)[] forms =
        [
            ("explicit WHERE", ExplicitWhereAsync, ExplicitWhere),
            ("same statements by hand", SameStatementsByHandAsync, SameStatementsByHand),
            ("TenantConnection", TenantConnectionAsync, TenantConnection),
            ("TenantConnection (signed)", SignedTenantConnectionAsync, SignedTenantConnection),
            ("hand-written set_config", HandWrittenAsync, HandWritten),
            ("role per tenant", RolePerTenantAsync, RolePerTenant),
        ];
        foreach (var (name, async, sync) in forms)
        {
            Verify.That(await async(key) == 2, $"{name}: the unit of work did not write one payment and one customer.");
            Verify.That(sync(key) == 2, $"{name}, synchronous: the unit of work did not write one payment and one customer.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _owner.DisposeAsync();
        await _byHand.DisposeAsync();
        await _recipe.DisposeAsync();
        await _roles.DisposeAsync();
        await _tenants.DisposeAsync();
        await _signed.DisposeAsync();
    }

    private static async Task<int> TenantAsync(TenantDataSource source, UnitOfWorkSql sql, OrderKey key)
    {
        await using var connection = await source.OpenAsync(key.Tenant);
        await using var transaction = await connection.BeginTransactionAsync();
        var written = await AllAsync(connection, transaction, sql, key);
        await transaction.CommitAsync();
        return written;
    }

    private static int Tenant(TenantDataSource source, UnitOfWorkSql sql, OrderKey key)
    {
        using var connection = source.Open(key.Tenant);
        using var transaction = connection.BeginTransaction();
        var written = All(connection, transaction, sql, key);
        transaction.Commit();
        return written;
    }

    private static async Task<int> AllAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, UnitOfWorkSql sql, OrderKey key)
    {
        var order = Check(await connection.QueryFirstAsync<Order>(sql.Order, new { key.Id }, transaction), key);
        return await RestAsync(connection, transaction, sql, order);
    }

    private static async Task<int> RestAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, UnitOfWorkSql sql, Order order)
    {
        var customer = await connection.QueryFirstAsync<Customer>(sql.Customer, new { Id = order.CustomerId }, transaction);
        var recent = await connection.QueryAsync<OrderSummary>(sql.Recent, transaction: transaction);
        var written = await connection.ExecuteAsync(sql.Pay, new { OrderId = order.Id, Amount }, transaction);
        written += await connection.ExecuteAsync(sql.Credit, new { customer.Id, Amount }, transaction);
        return recent.Any() ? written : -1;
    }

    private static int All(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, UnitOfWorkSql sql, OrderKey key)
    {
        var order = Check(connection.QueryFirst<Order>(sql.Order, new { key.Id }, transaction), key);
        return Rest(connection, transaction, sql, order);
    }

    private static int Rest(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, UnitOfWorkSql sql, Order order)
    {
        var customer = connection.QueryFirst<Customer>(sql.Customer, new { Id = order.CustomerId }, transaction);
        var recent = connection.Query<OrderSummary>(sql.Recent, transaction: transaction);
        var written = connection.Execute(sql.Pay, new { OrderId = order.Id, Amount }, transaction);
        written += connection.Execute(sql.Credit, new { customer.Id, Amount }, transaction);
        return recent.Any() ? written : -1;
    }

    private static NpgsqlCommand ContextAndFirstRead(NpgsqlConnection connection, NpgsqlTransaction transaction, UnitOfWorkSql sql, OrderKey key)
    {
        var command = new NpgsqlCommand(SetConfigLocalSql + ";" + sql.Order, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string>("Tenant", key.Tenant));
        command.Parameters.Add(new NpgsqlParameter<long>("Id", key.Id));
        return command;
    }

    private static Order Check(Order order, OrderKey key) =>
        order.Tenant == key.Tenant && order.Id == key.Id
            ? order
            : throw new InvalidOperationException($"The unit of work for order {key.Id} of '{key.Tenant}' read order {order.Id} of '{order.Tenant}'.");
}
