using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Reliability;

/// <summary>
/// State a tenant leaves in its server session (temporary tables, cursors WITH HOLD, LISTEN, SQL-level PREPARE,
/// session settings, session advisory locks) must not be readable by the next lease of that session. With Npgsql's
/// default reset (<c>DISCARD ALL</c> before the next use) nothing survives; each test proves it on a pool of one,
/// where the next lease is certainly the same backend.
/// </summary>
[Category(Categories.Database)]
[NonParallelizable]
public class SessionStateTests
{
    private OrdersDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await OrdersDatabase.CreateAsync("sessionstate");

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        NpgsqlConnection.ClearAllPools();
        await _db.DisposeAsync();
    }

    private TenantDataSource PoolOfOne(int maxAutoPrepare = 0) => _db.CreateTenants(b =>
    {
        b.MaxPoolSize = 1;
        b.MaxAutoPrepare = maxAutoPrepare;
    });

    private static async Task<int> LeaveStateAsGlobexAsync(TenantDataSource tenants)
    {
        await using var globex = await tenants.OpenAsync(OrdersDatabase.Globex);
        await globex.ExecuteAsync("create temp table stolen as select id, tenant, note from orders");
        await globex.ExecuteAsync("begin; declare held cursor with hold for select id, tenant, note from orders; commit");
        await globex.ExecuteAsync("listen globex_channel");
        await globex.ExecuteAsync("prepare globex_reads as select id, tenant, note from orders");
        await globex.ExecuteAsync("set application_name = 'globex was here'");
        await globex.ExecuteAsync("select pg_advisory_lock(4242)");
        (await globex.QuerySingleAsync<long>("select count(*) from stolen")).ShouldBe(3, "the temporary table holds globex's rows");
        return globex.InnerConnection.ProcessID;
    }

    [TestCase(0)]
    [TestCase(20)]
    public async Task Nothing_a_tenant_leaves_in_its_session_reaches_the_next_lease(int maxAutoPrepare)
    {
        await using var tenants = PoolOfOne(maxAutoPrepare);
        var backend = await LeaveStateAsGlobexAsync(tenants);

        await using var acme = await tenants.OpenAsync(OrdersDatabase.Acme);
        acme.InnerConnection.ProcessID.ShouldBe(backend, "a pool of one hands acme globex's server session");
        (await Should.ThrowAsync<PostgresException>(() => acme.QueryAsync("select * from stolen"))).SqlState.ShouldBe("42P01");
        (await Should.ThrowAsync<PostgresException>(() => acme.QueryAsync("fetch all from held"))).SqlState.ShouldBe("34000");
        (await acme.QueryAsync<string>("select pg_listening_channels()")).ShouldBeEmpty();

        // Npgsql resets a session that holds auto-prepared statements without DEALLOCATE ALL (it keeps its own), so a
        // SQL-level prepared statement survives there: it holds no rows (it runs under whoever executes it), but its text
        // shows in pg_prepared_statements. A documented limit; the guard refuses SQL-level PREPARE where sessions outlive leases.
        (await acme.QuerySingleAsync<long>("select count(*) from pg_prepared_statements where from_sql and name = 'globex_reads'"))
            .ShouldBe(maxAutoPrepare > 0 ? 1 : 0);
        (await acme.QuerySingleAsync<string>("select current_setting('application_name')")).ShouldNotBe("globex was here");
        (await acme.QuerySingleAsync<long>(
            "select count(*) from pg_locks where locktype = 'advisory' and objid = 4242 and pid = pg_backend_pid()")).ShouldBe(0);
    }

    [Test]
    public async Task The_state_survives_when_the_pool_does_not_reset_sessions()
    {
        // The positive control: without a reset the same statements do leave readable state behind, which is why the
        // guard refuses them on such pools (No Reset On Close, multiplexing, BehindTransactionPooler). Set up through the
        // escape hatch, which the guard does not see.
        await using var tenants = _db.CreateTenants(b =>
        {
            b.MaxPoolSize = 1;
            b.NoResetOnClose = true;
        });
        int backend;
        await using (var globex = await tenants.OpenAsync(OrdersDatabase.Globex))
        {
            backend = globex.InnerConnection.ProcessID;
            await using var transaction = await globex.BeginTransactionAsync();
            await globex.ExecuteAsync("select 1", transaction: transaction);

            // Same server transaction, so the tenant set by the statement above applies.
            await using var command = globex.InnerConnection.CreateCommand();
            command.CommandText = "create temp table stolen as select id, tenant, note from orders";
            await command.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        }

        await using var acme = await tenants.OpenAsync(OrdersDatabase.Acme);
        acme.InnerConnection.ProcessID.ShouldBe(backend);
        (await acme.QueryAsync<string>("select tenant from stolen")).ShouldBe(["globex", "globex", "globex"]);
    }
}
