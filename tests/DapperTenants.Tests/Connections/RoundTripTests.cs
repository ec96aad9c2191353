using System.Data.Common;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Connections;

/// <summary>The tenant never costs a round trip: each call sends exactly as many Syncs as on a plain Npgsql connection.</summary>
[Category(Categories.Database)]
public class RoundTripTests
{
    private OrdersDatabase _db = null!;
    private RoundTripCounter _proxy = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await OrdersDatabase.CreateAsync("roundtrip");
        var server = _db.Database.Server;
        _proxy = new RoundTripCounter(server.Host, server.Port);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        NpgsqlConnection.ClearAllPools();
        await _proxy.DisposeAsync();
        await _db.DisposeAsync();
    }

    private void Proxied(NpgsqlConnectionStringBuilder builder)
    {
        builder.Host = "127.0.0.1";
        builder.Port = _proxy.Port;
        builder.SslMode = SslMode.Disable;
        builder.Pooling = false;
    }

    private static readonly (string Name, Func<DbConnection, Task> Call)[] Calls =
    [
        ("Query", c => c.QueryAsync<Order>("select id, tenant, total, note from orders where id < @max", new { max = 10_000 })),
        ("QueryFirstOrDefault", c => c.QueryFirstOrDefaultAsync<Order>("select id, tenant, total, note from orders order by id")),
        ("QuerySingleOrDefault", c => c.QuerySingleOrDefaultAsync<Order>("select id, tenant, total, note from orders where id = 101")),
        ("Execute", c => c.ExecuteAsync("update orders set note = note where id = @id", new { id = 1 })),
        ("ExecuteScalar", c => c.ExecuteScalarAsync<long>("select count(*) from orders")),
        ("QueryMultiple", async c =>
        {
            await using var grid = await c.QueryMultipleAsync("select 1; select count(*) from orders");
            await grid.ReadAsync<int>();
            await grid.ReadAsync<long>();
        }),
        ("Transaction", async c =>
        {
            await using var transaction = await c.BeginTransactionAsync();
            await c.QueryAsync<Order>("select id, tenant, total, note from orders", transaction: transaction);
            await c.ExecuteAsync("update orders set note = note where id = 1", transaction: transaction);
            await c.QueryAsync<Order>("select id, tenant, total, note from orders where id = 2", transaction: transaction);
            await transaction.CommitAsync();
        }),
    ];

    private static IEnumerable<TestCaseData> CallCases() => Calls.Select(c => new TestCaseData(c.Name).SetName("The_tenant_costs_no_round_trip_for_" + c.Name));

    [TestCaseSource(nameof(CallCases))]
    public async Task The_tenant_costs_no_round_trip(string name)
    {
        var call = Calls.Single(c => c.Name == name).Call;

        var plainBuilder = new NpgsqlConnectionStringBuilder(_db.Database.AppConnectionString);
        Proxied(plainBuilder);
        await using var plain = new NpgsqlConnection(plainBuilder.ConnectionString);
        await plain.OpenAsync();
        _proxy.Reset();
        await call(plain);
        var baseline = _proxy.RoundTrips;

        await using var tenants = _db.CreateTenants(Proxied);
        await using var connection = await tenants.OpenAsync(OrdersDatabase.Acme);
        _proxy.Reset();
        await call(connection);
        var ours = _proxy.RoundTrips;

        baseline.ShouldBeGreaterThan(0, "the proxy must see the traffic");
        ours.ShouldBe(baseline, $"{name}: the tenant connection sent {ours} round trips, a plain connection {baseline}");
        TestContext.Out.WriteLine($"{name}: {ours} round trip(s), same as plain Npgsql");
    }

    [Test]
    public async Task The_proxy_counts_a_separate_set_config_as_a_round_trip()
    {
        var builder = new NpgsqlConnectionStringBuilder(_db.Database.AppConnectionString);
        Proxied(builder);
        await using var plain = new NpgsqlConnection(builder.ConnectionString);
        await plain.OpenAsync();
        _proxy.Reset();
        await plain.ExecuteAsync("select set_config('dapper_tenants.tenant', 'acme', false)");
        await plain.QueryAsync<Order>("select id, tenant, total, note from orders");
        _proxy.RoundTrips.ShouldBe(2, "the hand-written recipe costs two round trips; the counter must be able to tell");
    }
}
