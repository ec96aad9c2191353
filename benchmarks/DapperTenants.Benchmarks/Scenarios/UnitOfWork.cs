using BenchmarkDotNet.Attributes;
using Dapper;
using DapperTenants.Benchmarks.Infrastructure;
using DapperTenants.Benchmarks.Models;
using Npgsql;

namespace DapperTenants.Benchmarks.Scenarios;

/// <summary>
/// Scenario 2, a unit of work: open, begin, three reads (the order, its customer, the tenant's five latest orders),
/// two writes (insert a payment, credit the customer), commit, close. Target: TenantConnection ≤ 1.05× the baseline.
/// </summary>
/// <remarks>
/// The writes go to <c>payments</c> (append-only) and <c>customers</c> (10 rows a tenant), never to the orders the
/// other scenarios read. On a <see cref="TenantConnection"/> the SQL names no tenant at all: the policy filters the
/// reads and the update, and the payment's tenant comes from the column default.
/// </remarks>
[MemoryDiagnoser]
public class UnitOfWork
{
    private const decimal Amount = 1.25m;

    private const string OrderPlain = "select id, tenant, customer_id as CustomerId, total, created_at as CreatedAt from orders_plain where tenant = @Tenant and id = @Id";
    private const string CustomerPlain = "select id, name, balance from customers_plain where tenant = @Tenant and id = @Id";
    private const string RecentPlain = "select id, total from orders_plain where tenant = @Tenant order by id desc limit 5";
    private const string PayPlain = "insert into payments_plain (tenant, order_id, amount) values (@Tenant, @OrderId, @Amount)";
    private const string CreditPlain = "update customers_plain set balance = balance + @Amount where tenant = @Tenant and id = @Id";

    private const string OrderRls = "select id, tenant, customer_id as CustomerId, total, created_at as CreatedAt from orders where id = @Id";
    private const string CustomerRls = "select id, name, balance from customers where id = @Id";
    private const string RecentRls = "select id, total from orders order by id desc limit 5";
    private const string PayRls = "insert into payments (order_id, amount) values (@OrderId, @Amount)";
    private const string CreditRls = "update customers set balance = balance + @Amount where id = @Id";

    private NpgsqlDataSource _owner = null!;
    private TenantDataSource _tenants = null!;
    private OrderKey[] _keys = [];
    private int _next;

    [Params(false, true)]
    public bool AutoPrepare { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var dataset = await Dataset.ReadAsync(BenchDataSources.OwnerConnectionString);
        _owner = BenchDataSources.Owner(AutoPrepare);
        _tenants = BenchDataSources.Tenants(AutoPrepare);
        _keys = dataset.DrawKeys(4096, seed: 2);
        Verify.That(await RawAsync(_keys[^1]) == 2, "explicit WHERE: the unit of work did not write one payment and one customer.");
        Verify.That(await TenantConnectionAsync(_keys[^1]) == 2, "TenantConnection: the unit of work did not write one payment and one customer.");
        _next = 0;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _owner.DisposeAsync();
        await _tenants.DisposeAsync();
    }

    [Benchmark(Baseline = true)]
    public Task<int> Raw_ExplicitWhere() => RawAsync(NextKey());

    [Benchmark]
    public Task<int> TenantConnection_Transaction() => TenantConnectionAsync(NextKey());

    private async Task<int> RawAsync(OrderKey key)
    {
        await using var connection = await _owner.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var order = await connection.QueryFirstAsync<Order>(OrderPlain, new { key.Tenant, key.Id }, transaction);
        var customer = await connection.QueryFirstAsync<Customer>(CustomerPlain, new { key.Tenant, Id = order.CustomerId }, transaction);
        var recent = await connection.QueryAsync<OrderSummary>(RecentPlain, new { key.Tenant }, transaction);
        var written = await connection.ExecuteAsync(PayPlain, new { key.Tenant, OrderId = order.Id, Amount }, transaction);
        written += await connection.ExecuteAsync(CreditPlain, new { key.Tenant, customer.Id, Amount }, transaction);
        await transaction.CommitAsync();
        return recent.Any() ? written : -1;
    }

    private async Task<int> TenantConnectionAsync(OrderKey key)
    {
        await using var connection = await _tenants.OpenAsync(key.Tenant);
        await using var transaction = await connection.BeginTransactionAsync();
        var order = await connection.QueryFirstAsync<Order>(OrderRls, new { key.Id }, transaction);
        var customer = await connection.QueryFirstAsync<Customer>(CustomerRls, new { Id = order.CustomerId }, transaction);
        var recent = await connection.QueryAsync<OrderSummary>(RecentRls, transaction: transaction);
        var written = await connection.ExecuteAsync(PayRls, new { OrderId = order.Id, Amount }, transaction);
        written += await connection.ExecuteAsync(CreditRls, new { customer.Id, Amount }, transaction);
        await transaction.CommitAsync();
        return recent.Any() ? written : -1;
    }

    /// <summary>The baseline's unit of work, synchronous (for <see cref="CostBreakdown"/>).</summary>
    internal static int Raw(NpgsqlDataSource owner, OrderKey key)
    {
        using var connection = owner.OpenConnection();
        using var transaction = connection.BeginTransaction();
        var order = connection.QueryFirst<Order>(OrderPlain, new { key.Tenant, key.Id }, transaction);
        var customer = connection.QueryFirst<Customer>(CustomerPlain, new { key.Tenant, Id = order.CustomerId }, transaction);
        var recent = connection.Query<OrderSummary>(RecentPlain, new { key.Tenant }, transaction);
        var written = connection.Execute(PayPlain, new { key.Tenant, OrderId = order.Id, Amount }, transaction);
        written += connection.Execute(CreditPlain, new { key.Tenant, customer.Id, Amount }, transaction);
        transaction.Commit();
        return recent.Any() ? written : -1;
    }

    /// <summary>The library's unit of work, synchronous (for <see cref="CostBreakdown"/>).</summary>
    internal static int Tenant(TenantDataSource tenants, OrderKey key)
    {
        using var connection = tenants.Open(key.Tenant);
        using var transaction = connection.BeginTransaction();
        var order = connection.QueryFirst<Order>(OrderRls, new { key.Id }, transaction);
        var customer = connection.QueryFirst<Customer>(CustomerRls, new { Id = order.CustomerId }, transaction);
        var recent = connection.Query<OrderSummary>(RecentRls, transaction: transaction);
        var written = connection.Execute(PayRls, new { OrderId = order.Id, Amount }, transaction);
        written += connection.Execute(CreditRls, new { customer.Id, Amount }, transaction);
        transaction.Commit();
        return recent.Any() ? written : -1;
    }

    private OrderKey NextKey() => _keys[_next++ & (_keys.Length - 1)];
}
