using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Reliability;

/// <summary>Behind PgBouncer in transaction mode, clients share server sessions between transactions.</summary>
[Category(Categories.Database)]
public class PgBouncerTests
{
    private OrdersDatabase _db = null!;
    private PgBouncer _bouncer = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _db = await OrdersDatabase.CreateAsync("bouncer");
        _bouncer = await PgBouncer.StartAsync(_db.Database, poolSize: 1);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        NpgsqlConnection.ClearAllPools();
        await _bouncer.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Test]
    public async Task A_session_setting_leaks_to_the_next_client_behind_PgBouncer()
    {
        // The premise of the transaction scope: what a session-level setting does behind a transaction pooler.
        try
        {
            await using (var first = new NpgsqlConnection(_bouncer.AppConnectionString))
            {
                await first.OpenAsync();
                await first.ExecuteAsync("select set_config('dapper_tenants.tenant', 'acme', false)");
            }

            await using var second = new NpgsqlConnection(_bouncer.AppConnectionString);
            await second.OpenAsync();
            (await second.ExecuteScalarAsync<long>("select count(*) from orders where id < 10000")).ShouldBe(5, "the one server session kept acme's setting");
        }
        finally
        {
            // The pool's one server session must not carry acme into the next test, pass or fail.
            await using var cleanup = new NpgsqlConnection(_bouncer.AppConnectionString);
            await cleanup.OpenAsync();
            await cleanup.ExecuteAsync("reset dapper_tenants.tenant");
        }
    }

    /// <summary>Every test starts and ends on a server session without a tenant (a positive check, so a leftover fails here, not later).</summary>
    [SetUp]
    [TearDown]
    public async Task The_server_session_carries_no_tenant()
    {
        await using var plain = new NpgsqlConnection(_bouncer.AppConnectionString);
        await plain.OpenAsync();
        (await plain.ExecuteScalarAsync<string?>("select coalesce(current_setting('dapper_tenants.tenant', true), '')")).ShouldBe(string.Empty);
    }

    [Test]
    public async Task The_transaction_scope_leaves_nothing_for_the_next_client()
    {
        await using var tenants = TenantDataSource.Create(_bouncer.AppConnectionString);
        await using (var acme = await tenants.OpenAsync(OrdersDatabase.Acme))
        {
            (await acme.QueryAsync<Order>("select id, tenant, total, note from orders where id < 10000")).Count().ShouldBe(5);
        }

        await using var plain = new NpgsqlConnection(_bouncer.AppConnectionString);
        await plain.OpenAsync();
        (await plain.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(0);
        await using var globex = await tenants.OpenAsync(OrdersDatabase.Globex);
        (await globex.QueryAsync<Order>("select id, tenant, total, note from orders where id < 10000")).Select(o => o.Id).ShouldBe([101, 102, 103]);
    }
}
