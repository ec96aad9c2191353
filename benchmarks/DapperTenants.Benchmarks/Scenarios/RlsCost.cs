using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Dapper;
using DapperTenants.Benchmarks.Infrastructure;
using DapperTenants.Benchmarks.Models;
using Npgsql;

namespace DapperTenants.Benchmarks.Scenarios;

/// <summary>
/// Scenario 3, what the policy itself costs: on one connection kept open, a point query and a tenant-wide aggregate
/// (<c>count(*), sum(total)</c> over one tenant's orders) under the policy, against the same query with an explicit
/// <c>WHERE tenant = @t</c> on the table without RLS. Targets: ≤ 1.10× (point), ≤ 1.03× (aggregate).
/// </summary>
/// <remarks>
/// <c>*_Policy</c> isolates the server side: a plain Npgsql connection of the application login whose session setting
/// was set once in the setup. <c>*_TenantConnection</c> is what the library sends in its default transaction scope on a
/// long-lived connection: the tenant rides with every statement.
/// All variants read one tenant (chosen from the fixed seed) and random orders of it.
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class RlsCost
{
    internal const string PointPlain = "select id, tenant, customer_id as CustomerId, total, created_at as CreatedAt from orders_plain where tenant = @Tenant and id = @Id";
    internal const string PointRls = "select id, tenant, customer_id as CustomerId, total, created_at as CreatedAt from orders where id = @Id";
    internal const string AggregatePlain = "select count(*) as Count, coalesce(sum(total), 0) as Sum from orders_plain where tenant = @Tenant";
    internal const string AggregateRls = "select count(*) as Count, coalesce(sum(total), 0) as Sum from orders";

    private NpgsqlDataSource _ownerSource = null!;
    private NpgsqlDataSource _appSource = null!;
    private TenantDataSource _tenantSource = null!;
    private NpgsqlConnection _plain = null!;
    private NpgsqlConnection _policy = null!;
    private TenantConnection _tenant = null!;
    private OrderKey[] _keys = [];
    private string _tenantValue = string.Empty;
    private int _next;

    [Params(false, true)]
    public bool AutoPrepare { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var dataset = await Dataset.ReadAsync(BenchDataSources.OwnerConnectionString);
        var tenantIndex = dataset.DrawKeys(1, seed: 3)[0].TenantIndex;
        _keys = dataset.DrawKeysOfTenant(tenantIndex, 4096, seed: 3);
        _tenantValue = dataset.Tenant(tenantIndex);

        _ownerSource = BenchDataSources.Owner(AutoPrepare);
        _appSource = BenchDataSources.App(AutoPrepare);
        _tenantSource = BenchDataSources.Tenants(AutoPrepare);
        _plain = await _ownerSource.OpenConnectionAsync();
        _policy = await _appSource.OpenConnectionAsync();
        await _policy.ExecuteAsync("select set_config('" + TenantOptions.DefaultSettingName + "', @Tenant, false)", new { Tenant = _tenantValue });
        _tenant = await _tenantSource.OpenAsync(_tenantValue);

        await Verify.OrderLookupAsync("point, explicit WHERE", k => PointPlainAsync(k), dataset, _keys[^1]);
        await Verify.OrderLookupAsync("point, policy", k => PointRlsAsync(_policy, k), dataset, _keys[^1]);
        await Verify.OrderLookupAsync("point, TenantConnection", k => PointRlsAsync(_tenant, k), dataset, _keys[^1]);
        var expected = await Aggregate_ExplicitWhere();
        Verify.That(expected.Count == dataset.OrdersPerTenant, $"aggregate, explicit WHERE: {expected.Count} orders, expected {dataset.OrdersPerTenant}.");
        Verify.That(await Aggregate_Policy() is var p && p.Count == expected.Count && p.Sum == expected.Sum, "aggregate, policy: differs from the explicit WHERE.");
        Verify.That(await Aggregate_TenantConnection() is var t && t.Count == expected.Count && t.Sum == expected.Sum, "aggregate, TenantConnection: differs from the explicit WHERE.");
        _next = 0;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _plain.DisposeAsync();
        await _policy.DisposeAsync();
        await _tenant.DisposeAsync();
        await _ownerSource.DisposeAsync();
        await _appSource.DisposeAsync();
        await _tenantSource.DisposeAsync();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Point")]
    public Task<Order?> Point_ExplicitWhere() => PointPlainAsync(NextKey());

    [Benchmark]
    [BenchmarkCategory("Point")]
    public Task<Order?> Point_Policy() => PointRlsAsync(_policy, NextKey());

    [Benchmark]
    [BenchmarkCategory("Point")]
    public Task<Order?> Point_TenantConnection() => PointRlsAsync(_tenant, NextKey());

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Aggregate")]
    public Task<TenantTotals> Aggregate_ExplicitWhere() => _plain.QuerySingleAsync<TenantTotals>(AggregatePlain, new { Tenant = _tenantValue });

    [Benchmark]
    [BenchmarkCategory("Aggregate")]
    public Task<TenantTotals> Aggregate_Policy() => _policy.QuerySingleAsync<TenantTotals>(AggregateRls);

    [Benchmark]
    [BenchmarkCategory("Aggregate")]
    public Task<TenantTotals> Aggregate_TenantConnection() => _tenant.QuerySingleAsync<TenantTotals>(AggregateRls);

    private Task<Order?> PointPlainAsync(OrderKey key) => _plain.QueryFirstOrDefaultAsync<Order>(PointPlain, new { key.Tenant, key.Id });

    private static Task<Order?> PointRlsAsync(System.Data.Common.DbConnection connection, OrderKey key) =>
        connection.QueryFirstOrDefaultAsync<Order>(PointRls, new { key.Id });

    private OrderKey NextKey() => _keys[_next++ & (_keys.Length - 1)];
}
