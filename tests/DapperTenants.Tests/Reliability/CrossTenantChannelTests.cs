using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Reliability;

/// <summary>
/// What PostgreSQL itself shows across tenants when every tenant shares one login: no policy can hide these, so each is
/// a documented limit (README, "Known limits"), and each test proves the channel exists — a test that went green
/// because the channel closed would mean the README is wrong.
/// </summary>
[Category(Categories.Database)]
[NonParallelizable]
public class CrossTenantChannelTests
{
    private OrdersDatabase _db = null!;
    private TenantDataSource _tenants = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await OrdersDatabase.CreateAsync("channels");
        _tenants = _db.CreateTenants();
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await _tenants.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await _db.DisposeAsync();
    }

    [Test]
    public async Task Another_tenants_running_query_text_shows_in_pg_stat_activity_with_its_literals()
    {
        await using var globex = await _tenants.OpenAsync(OrdersDatabase.Globex);
        var running = globex.ExecuteAsync("select pg_sleep(3), 'globex-secret-4711' as s");
        try
        {
            await using var acme = await _tenants.OpenAsync(OrdersDatabase.Acme);
            string? seen = null;
            for (var i = 0; i < 100 && seen is null; i++)
            {
                seen = await acme.QueryFirstOrDefaultAsync<string>(
                    "select query from pg_stat_activity where query like '%globex-secret-' || '4711%' and pid <> pg_backend_pid()");
                if (seen is null)
                {
                    await Task.Delay(20);
                }
            }

            seen.ShouldNotBeNull("the same login sees the text of every session's statement");
            seen.ShouldContain("globex-secret-4711");
        }
        finally
        {
            await running;
        }
    }

    [Test]
    public async Task Bound_parameters_do_not_show_in_pg_stat_activity()
    {
        await using var globex = await _tenants.OpenAsync(OrdersDatabase.Globex);
        var running = globex.ExecuteAsync("select pg_sleep(3), @s as s", new { s = "globex-secret-4712" });
        try
        {
            await using var acme = await _tenants.OpenAsync(OrdersDatabase.Acme);
            string? text = null;
            for (var i = 0; i < 100 && text is null; i++)
            {
                text = await acme.QueryFirstOrDefaultAsync<string>(
                    "select query from pg_stat_activity where query like '%pg_sleep(3), $1%' and pid <> pg_backend_pid()");
                if (text is null)
                {
                    await Task.Delay(20);
                }
            }

            text.ShouldNotBeNull();
            text.ShouldNotContain("globex-secret-4712", customMessage: "bind tenant data as parameters: the text then shows $1");
        }
        finally
        {
            await running;
        }
    }

    [Test]
    public async Task A_NOTIFY_payload_reaches_a_listener_of_another_tenant()
    {
        await using var acme = await _tenants.OpenAsync(OrdersDatabase.Acme);
        string? payload = null;
        acme.InnerConnection.Notification += (_, e) => payload = e.Payload;
        await acme.ExecuteAsync("listen orders_changed");

        await using (var globex = await _tenants.OpenAsync(OrdersDatabase.Globex))
        {
            await globex.ExecuteAsync("select pg_notify('orders_changed', 'globex order 101 paid')");
        }

        (await acme.InnerConnection.WaitAsync(TimeSpan.FromSeconds(10))).ShouldBeTrue("LISTEN is global to the database");
        payload.ShouldBe("globex order 101 paid");
    }

    [Test]
    public async Task Another_tenants_advisory_lock_shows_in_pg_locks()
    {
        await using var globex = await _tenants.OpenAsync(OrdersDatabase.Globex);
        await using var transaction = await globex.BeginTransactionAsync();
        await globex.ExecuteAsync("select pg_advisory_xact_lock(777001)", transaction: transaction);

        await using var acme = await _tenants.OpenAsync(OrdersDatabase.Acme);
        (await acme.QuerySingleAsync<long>("select count(*) from pg_locks where locktype = 'advisory' and objid = 777001"))
            .ShouldBe(1);
        await transaction.RollbackAsync();
    }

    [Test]
    public async Task A_tenant_connection_can_terminate_another_tenants_backend()
    {
        await using var tenants = _db.CreateTenants(b => b.Pooling = false);
        await using var globex = await tenants.OpenAsync(OrdersDatabase.Globex);
        var victim = globex.InnerConnection.ProcessID;
        await using var acme = await tenants.OpenAsync(OrdersDatabase.Acme);
        (await acme.QuerySingleAsync<bool>("select pg_terminate_backend(@victim)", new { victim })).ShouldBeTrue(
            "a role may terminate backends of the same role: a denial of service across tenants");
        // The server answers the next statement with 57P01 (terminating connection due to administrator command), or
        // the socket is already closed: either way Npgsql's own exception, and the connection is gone.
        var failure = await Should.ThrowAsync<NpgsqlException>(() => globex.QueryAsync<int>("select 1"));
        if (failure is PostgresException server)
        {
            server.SqlState.ShouldBe(PostgresErrorCodes.AdminShutdown);
        }

        globex.State.ShouldBe(System.Data.ConnectionState.Closed);
    }

    [Test]
    public async Task Row_counts_of_all_tenants_show_in_statistics_and_sizes()
    {
        await _db.Database.ExecuteAsAdminAsync("""
            insert into orders select g, 'globex', 1, null from generate_series(50000, 50999) g;
            analyze orders;
            select pg_stat_force_next_flush();
            """);
        try
        {
            await using var acme = await _tenants.OpenAsync(OrdersDatabase.Acme);
            (await acme.QuerySingleAsync<long>("select count(*) from orders")).ShouldBeLessThan(100, "acme's own rows only");
            (await acme.QuerySingleAsync<float>("select reltuples from pg_class where relname = 'orders'")).ShouldBeGreaterThan(1000f);
            (await acme.QuerySingleAsync<long>("select pg_relation_size('orders')")).ShouldBeGreaterThan(8192L * 4);
            var plan = string.Join('\n', await acme.QueryAsync<string>("explain select * from orders"));
            plan.ShouldContain("Seq Scan on orders");
        }
        finally
        {
            await _db.Database.ExecuteAsAdminAsync("delete from orders where id between 50000 and 50999; analyze orders;");
        }
    }

    [Test]
    public async Task Ids_from_a_shared_sequence_reveal_other_tenants_inserts()
    {
        await _db.Database.ExecuteAsOwnerAsync("""
            create table if not exists notes (id bigint generated always as identity primary key, tenant text not null
                default nullif(current_setting('dapper_tenants.tenant', true), ''), body text);
            alter table notes enable row level security;
            alter table notes force row level security;
            drop policy if exists isolation on notes;
            create policy isolation on notes
                using (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')))
                with check (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')));
            """);
        await using var acme = await _tenants.OpenAsync(OrdersDatabase.Acme);
        await using var globex = await _tenants.OpenAsync(OrdersDatabase.Globex);
        var first = await acme.QuerySingleAsync<long>("insert into notes (body) values ('a') returning id");
        for (var i = 0; i < 5; i++)
        {
            await globex.ExecuteAsync("insert into notes (body) values ('g')");
        }

        var second = await acme.QuerySingleAsync<long>("insert into notes (body) values ('a') returning id");
        (second - first - 1).ShouldBe(5, "the gap counts globex's inserts in between");
    }
}
