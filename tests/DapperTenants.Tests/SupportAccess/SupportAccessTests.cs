using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.SupportAccess;

/// <summary>Support sessions against a real PostgreSQL: what they read and write, and what the log says about it.</summary>
[Category(Categories.Database)]
public class SupportAccessTests
{
    private SupportDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await SupportDatabase.CreateAsync("support_access");

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    [Test]
    public async Task Support_reads_see_the_scoped_tenant_and_are_logged_with_actor_reason_scope_and_login()
    {
        var support = _db.CreateSupport();
        await using var connection = await support.OpenAsync("alice@ops", "ticket 4711: missing invoice", SupportScope.Of(OrdersDatabase.Acme));
        connection.LogId.ShouldBeNull();

        (await connection.QueryAsync<int>("select id from orders order by id")).ShouldBe([1, 2, 3, 4, 5]);

        var pid = await connection.ExecuteScalarAsync<int>("select pg_backend_pid()");
        var entry = (await _db.LogAsync()).Single(e => e.Id == connection.LogId);
        entry.Actor.ShouldBe("alice@ops");
        entry.Reason.ShouldBe("ticket 4711: missing invoice");
        entry.AllTenants.ShouldBeFalse();
        entry.Tenants.ShouldBe([OrdersDatabase.Acme]);
        entry.AllowWrites.ShouldBeFalse();
        entry.Login.ShouldBe(_db.OperatorLogin);
        entry.BackendPid.ShouldBe(pid);
        entry.StartedAt.ShouldBeInRange(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
    }

    [Test]
    public void The_synchronous_path_logs_and_reads_the_same()
    {
        var support = _db.CreateSupport();
        using var connection = support.Open("bob", "sync check", SupportScope.Of(OrdersDatabase.Globex));
        connection.Query<int>("select id from orders order by id").ShouldBe([101, 102, 103]);
        connection.ExecuteScalar<long>("select count(*) from orders").ShouldBe(3);
        var id = connection.LogId.ShouldNotBeNull();
        new SupportAccessLog(_db.Owner).Read(new SupportAccessQuery { Actor = "bob" }).Select(e => e.Id).ShouldContain(id);
    }

    [Test]
    public async Task One_session_writes_one_log_row_however_many_statements_it_runs()
    {
        var support = _db.CreateSupport();
        await using var connection = await support.OpenAsync("carol", "one row per session", SupportScope.Of(OrdersDatabase.Acme));
        for (var i = 0; i < 3; i++)
        {
            (await connection.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(5);
        }

        (await _db.LogAsync()).Count(e => e.Actor == "carol").ShouldBe(1);
    }

    [Test]
    public async Task A_session_scoped_to_acme_cannot_read_globex_even_by_setting_the_tenant_itself()
    {
        var support = _db.CreateSupport();
        await using var connection = await support.OpenAsync("mallory", "scope test", SupportScope.Of(OrdersDatabase.Acme));
        (await connection.ExecuteScalarAsync<long>("select count(*) from orders where tenant = 'globex'")).ShouldBe(0);
        await connection.ExecuteAsync("select set_config('dapper_tenants.tenant', 'globex', false)");
        (await connection.QueryAsync<string>("select distinct tenant from orders")).ShouldBe([OrdersDatabase.Acme]);
    }

    [Test]
    public async Task An_all_tenants_session_reads_every_tenant_and_is_logged_as_all_tenants()
    {
        var support = _db.CreateSupport();
        await using var connection = await support.OpenAsync("dave", "incident 12: all tenants", SupportScope.AllTenants);
        (await connection.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(10);
        var entry = (await _db.LogAsync()).Single(e => e.Id == connection.LogId);
        entry.AllTenants.ShouldBeTrue();
        entry.Tenants.ShouldBeEmpty();
    }

    [Test]
    public async Task Writes_are_refused_unless_the_session_allows_them()
    {
        var support = _db.CreateSupport();
        await using var connection = await support.OpenAsync("erin", "read only", SupportScope.Of(OrdersDatabase.Acme));
        var insert = await Should.ThrowAsync<PostgresException>(async () =>
            await connection.ExecuteAsync("insert into orders (id, tenant, total) values (@id, 'acme', 1)", new { id = _db.Orders.NextId() }));
        insert.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        var update = await Should.ThrowAsync<PostgresException>(async () => await connection.ExecuteAsync("update orders set note = 'x' where id = 1"));
        update.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        (await connection.ExecuteAsync("delete from orders where id = 2")).ShouldBe(0);
        (await _db.Orders.AllOrdersAsync()).Single(o => o.Id == 1).Note.ShouldBe("a1");
        (await _db.Orders.AllOrdersAsync()).ShouldContain(o => o.Id == 2);
    }

    [Test]
    public async Task Writes_are_allowed_when_asked_inside_the_scope_only_and_the_log_says_so()
    {
        var support = _db.CreateSupport();
        await using var connection = await support.OpenAsync("frank", "fix order 4", SupportScope.Of(OrdersDatabase.Acme), allowWrites: true);
        (await connection.ExecuteAsync("update orders set note = 'fixed' where id = 4")).ShouldBe(1);
        var id = _db.Orders.NextId();
        (await connection.ExecuteAsync("insert into orders (id, tenant, total) values (@id, 'acme', 9)", new { id })).ShouldBe(1);
        var outside = await Should.ThrowAsync<PostgresException>(async () =>
            await connection.ExecuteAsync("insert into orders (id, tenant, total) values (@id, 'globex', 9)", new { id = _db.Orders.NextId() }));
        outside.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        (await connection.ExecuteAsync("update orders set note = 'nope' where id = 101")).ShouldBe(0);

        var orders = await _db.Orders.AllOrdersAsync();
        orders.Single(o => o.Id == 4).Note.ShouldBe("fixed");
        orders.Single(o => o.Id == 101).Note.ShouldBe("g1");
        (await _db.LogAsync()).Single(e => e.Id == connection.LogId).AllowWrites.ShouldBeTrue();
    }

    [Test]
    public async Task The_log_row_travels_in_the_same_round_trip_as_the_first_statement()
    {
        var server = _db.Orders.Database.Server;
        await using var counter = new RoundTripCounter(server.Host, server.Port);
        var support = _db.CreateSupport(b =>
        {
            b.Host = "127.0.0.1";
            b.Port = counter.Port;
        });
        await using var connection = await support.OpenAsync("grace", "round trips", SupportScope.Of(OrdersDatabase.Acme));
        counter.Reset();
        (await connection.QueryAsync<int>("select id from orders where id = @id", new { id = 3 })).ShouldBe([3]);
        connection.LogId.ShouldNotBeNull();

        // One network exchange: the log row and the statement are sent together; the error barrier between them is a
        // second Sync in the same write (its own implicit transaction, so the row commits before the statement runs).
        counter.Exchanges.ShouldBe(1);
        counter.RoundTrips.ShouldBe(2);
        (await connection.QueryAsync<int>("select id from orders where id = @id", new { id = 5 })).ShouldBe([5]);
        counter.Exchanges.ShouldBe(2);
        counter.RoundTrips.ShouldBe(3);
    }

    [Test]
    public async Task A_transaction_begun_first_is_logged_before_it_begins()
    {
        var support = _db.CreateSupport();
        await using var connection = await support.OpenAsync("heidi", "in a transaction", SupportScope.Of(OrdersDatabase.Globex));
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            connection.LogId.ShouldNotBeNull();
            (await connection.ExecuteScalarAsync<long>("select count(*) from orders", transaction: transaction)).ShouldBe(3);
            await transaction.RollbackAsync();
        }

        (await _db.LogAsync()).ShouldContain(e => e.Id == connection.LogId);
    }

    [Test]
    public async Task A_text_of_several_statements_is_logged_first_and_runs()
    {
        var support = _db.CreateSupport();
        await using var connection = await support.OpenAsync("ivan", "two statements", SupportScope.Of(OrdersDatabase.Acme));
        using var grid = await connection.QueryMultipleAsync("select count(*) from orders; select max(id) from orders");
        (await grid.ReadSingleAsync<long>()).ShouldBe(5);
        (await grid.ReadSingleAsync<int>()).ShouldBe(5);
        connection.LogId.ShouldNotBeNull();
    }
}
