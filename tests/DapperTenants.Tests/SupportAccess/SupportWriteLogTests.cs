using System.Security.Cryptography;
using DapperTenants.Connections;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.SupportAccess;

/// <summary>
/// Every write of a write-allowed support session is logged, statement by statement, in the transaction it writes in,
/// and the database refuses a support write whose transaction holds no such row.
/// </summary>
[Category(Categories.Database)]
public class SupportWriteLogTests
{
    private const string Begin = "select dapper_tenants.begin_support_session(@actor, 'write log test', '{acme}', false, @writes, @token)";

    private SupportDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await SupportDatabase.CreateAsync("support_writes");

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    private static string Token() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private async Task<List<SupportAccessWrite>> WritesOfAsync(long? session) =>
        [.. (await new SupportAccessLog(_db.Owner).ReadWritesAsync()).Where(w => w.SessionId == session).OrderBy(w => w.Id)];

    [Test]
    public async Task Each_insert_update_and_delete_of_a_write_allowed_session_is_logged_with_its_text_session_and_transaction()
    {
        var support = _db.CreateSupport();
        await using var connection = await support.OpenAsync("frank", "fix acme", SupportScope.Of(OrdersDatabase.Acme), allowWrites: true);
        var id = _db.Orders.NextId();
        const string insert = "insert into orders (id, tenant, total) values (@id, 'acme', 7)";
        const string update = "update orders set note = 'logged' where id = @id";
        const string delete = "delete from orders where id = @id";
        (await connection.ExecuteAsync(insert, new { id })).ShouldBe(1);
        (await connection.ExecuteAsync(update, new { id })).ShouldBe(1);
        (await connection.QueryAsync<int>("select id from orders where id = @id", new { id })).ShouldBe([id]);
        ulong inTransaction;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            inTransaction = await connection.ExecuteScalarAsync<ulong>("select pg_current_xact_id()", transaction: transaction);
            (await connection.ExecuteAsync(delete, new { id }, transaction)).ShouldBe(1);
            await transaction.CommitAsync();
        }

        var writes = await WritesOfAsync(connection.LogId);
        writes.Select(w => w.Statement).ShouldBe([insert, update, delete]);
        writes.ShouldAllBe(w => w.Actor == "frank");
        writes.Select(w => w.TransactionId).Distinct().Count().ShouldBe(3);
        writes[2].TransactionId.ShouldBe(inTransaction);
        (await new SupportAccessLog(_db.Owner).ReadWritesAsync(new SupportAccessQuery { Actor = "frank", Limit = 1 })).Single().Statement.ShouldBe(delete);
        new SupportAccessLog(_db.Owner).ReadWrites(new SupportAccessQuery { Tenant = OrdersDatabase.Acme }).ShouldContain(w => w.SessionId == connection.LogId);
        new SupportAccessLog(_db.Owner).ReadWrites(new SupportAccessQuery { Tenant = OrdersDatabase.Globex }).ShouldNotContain(w => w.SessionId == connection.LogId);
    }

    [Test]
    public async Task A_logged_write_costs_no_extra_round_trip()
    {
        var server = _db.Orders.Database.Server;
        await using var counter = new RoundTripCounter(server.Host, server.Port);
        var support = _db.CreateSupport(b =>
        {
            b.Host = "127.0.0.1";
            b.Port = counter.Port;
        });
        await using var connection = await support.OpenAsync("grace", "round trips", SupportScope.Of(OrdersDatabase.Acme), allowWrites: true);
        counter.Reset();
        (await connection.ExecuteAsync("update orders set note = note where id = @id", new { id = 3 })).ShouldBe(1);
        counter.Exchanges.ShouldBe(1);
        (await connection.ExecuteAsync("update orders set note = note where id = @id", new { id = 3 })).ShouldBe(1);
        counter.Exchanges.ShouldBe(2);
        (await connection.QueryAsync<int>("select id from orders where id = 3")).ShouldBe([3]);
        counter.Exchanges.ShouldBe(3);
        (await WritesOfAsync(connection.LogId)).Count.ShouldBe(2);
    }

    [Test]
    public void A_synchronous_write_is_logged_too()
    {
        var support = _db.CreateSupport();
        using var connection = support.Open("heidi", "sync", SupportScope.Of(OrdersDatabase.Acme), allowWrites: true);
        connection.Execute("update orders set note = note where id = 2").ShouldBe(1);
        connection.ExecuteScalar<int>("update orders set note = note where id = 2 returning id").ShouldBe(2);
        WritesOfAsync(connection.LogId).GetAwaiter().GetResult().Count.ShouldBe(2);
    }

    [Test]
    public async Task A_support_login_that_skips_the_write_log_cannot_write()
    {
        await using var raw = await _db.OpenRawOperatorAsync();
        await raw.ExecuteAsync(Begin, new { actor = "mallory", writes = true, token = Token() });
        (await raw.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(5);

        var insert = await Should.ThrowAsync<PostgresException>(async () =>
            await raw.ExecuteAsync("insert into orders (id, tenant, total) values (@id, 'acme', 1)", new { id = _db.Orders.NextId() }));
        insert.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        var update = await Should.ThrowAsync<PostgresException>(async () => await raw.ExecuteAsync("update orders set note = 'x' where id = 1"));
        update.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        (await raw.ExecuteAsync("delete from orders where id = 1")).ShouldBe(0);

        // The same statements, each after a write-log row in its own transaction, write.
        await using (var transaction = await raw.BeginTransactionAsync())
        {
            await raw.ExecuteAsync("select dapper_tenants.log_support_write('update orders set note = ''x'' where id = 1')", transaction: transaction);
            (await raw.ExecuteAsync("update orders set note = note where id = 1", transaction: transaction)).ShouldBe(1);
            await transaction.CommitAsync();
        }
    }

    [Test]
    public async Task The_inner_connection_of_a_support_connection_cannot_write_without_the_log()
    {
        var support = _db.CreateSupport();
        await using var connection = await support.OpenAsync("ivan", "bypass", SupportScope.Of(OrdersDatabase.Acme), allowWrites: true);
        await connection.LogAsync();
        await using var command = new NpgsqlCommand("update orders set note = 'bypass' where id = 5", connection.Inner);
        (await Should.ThrowAsync<PostgresException>(async () => await command.ExecuteNonQueryAsync())).SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        await using var delete = new NpgsqlCommand("delete from orders where id = 5", connection.Inner);
        (await delete.ExecuteNonQueryAsync()).ShouldBe(0);
        (await _db.Orders.AllOrdersAsync()).ShouldContain(o => o.Id == 5 && o.Note != "bypass");
    }

    [Test]
    public async Task A_write_log_row_of_an_earlier_transaction_does_not_authorize_a_later_write()
    {
        await using var raw = await _db.OpenRawOperatorAsync();
        await raw.ExecuteAsync(Begin, new { actor = "trent", writes = true, token = Token() });
        await raw.ExecuteAsync("select dapper_tenants.log_support_write('update orders set note = note where id = 2')");
        var later = await Should.ThrowAsync<PostgresException>(async () => await raw.ExecuteAsync("update orders set note = 'later' where id = 2"));
        later.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    [Test]
    public async Task A_rolled_back_write_leaves_neither_a_log_row_nor_an_authorization_behind()
    {
        await using var raw = await _db.OpenRawOperatorAsync();
        var session = await raw.ExecuteScalarAsync<long>(Begin, new { actor = "peggy", writes = true, token = Token() });
        await using (var transaction = await raw.BeginTransactionAsync())
        {
            await raw.ExecuteAsync("select dapper_tenants.log_support_write('update orders set note = ''rolled back'' where id = 3')", transaction: transaction);
            (await raw.ExecuteAsync("update orders set note = 'rolled back' where id = 3", transaction: transaction)).ShouldBe(1);
            await transaction.RollbackAsync();
        }

        (await Should.ThrowAsync<PostgresException>(async () => await raw.ExecuteAsync("update orders set note = 'after' where id = 3")))
            .SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);

        // Nor does a savepoint rolled back inside a transaction that goes on.
        await using (var transaction = await raw.BeginTransactionAsync())
        {
            await transaction.SaveAsync("s");
            await raw.ExecuteAsync("select dapper_tenants.log_support_write('x')", transaction: transaction);
            await transaction.RollbackAsync("s");
            (await Should.ThrowAsync<PostgresException>(async () => await raw.ExecuteAsync("update orders set note = 'after' where id = 3", transaction: transaction)))
                .SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        }

        (await WritesOfAsync(session)).ShouldBeEmpty();
        (await _db.Orders.AllOrdersAsync()).Single(o => o.Id == 3).Note.ShouldNotBe("rolled back");
    }

    [Test]
    public async Task A_read_only_session_cannot_log_a_write_and_logs_none()
    {
        await using var raw = await _db.OpenRawOperatorAsync();
        await raw.ExecuteAsync(Begin, new { actor = "erin", writes = false, token = Token() });
        var refused = await Should.ThrowAsync<PostgresException>(async () => await raw.ExecuteAsync("select dapper_tenants.log_support_write('delete from orders')"));
        refused.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        refused.MessageText.ShouldMatch("^The support session [0-9]+ was logged without allowWrites, so it cannot write\\.$");

        var support = _db.CreateSupport();
        await using var connection = await support.OpenAsync("erin", "read only", SupportScope.Of(OrdersDatabase.Acme));
        (await Should.ThrowAsync<PostgresException>(async () => await connection.ExecuteAsync("update orders set note = 'x' where id = 1")))
            .SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        (await WritesOfAsync(connection.LogId)).ShouldBeEmpty();
    }

    [Test]
    public async Task A_login_without_a_logged_session_cannot_log_a_write()
    {
        await using var raw = await _db.OpenRawOperatorAsync();
        var refused = await Should.ThrowAsync<PostgresException>(async () => await raw.ExecuteAsync("select dapper_tenants.log_support_write('delete from orders')"));
        refused.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        refused.MessageText.ShouldBe("No committed support session is logged on this connection, so there is no session to log the write in.");
    }

    [Test]
    public async Task A_text_of_several_writes_is_logged_in_its_transaction_and_refused_outside_one()
    {
        var support = _db.CreateSupport();
        await using var connection = await support.OpenAsync("judy", "two writes", SupportScope.Of(OrdersDatabase.Acme), allowWrites: true);
        const string two = "update orders set note = note where id = 1; update orders set note = note where id = 2";
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            (await connection.ExecuteAsync(two, transaction: transaction)).ShouldBe(2);
            await transaction.CommitAsync();
        }

        (await WritesOfAsync(connection.LogId)).Select(w => w.Statement).ShouldBe([two]);

        // Outside a transaction the log row cannot share the text's implicit transaction: the policies refuse it (fails closed).
        (await Should.ThrowAsync<PostgresException>(async () => await connection.ExecuteAsync(two))).SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    [TestCase("select * from orders", false)]
    [TestCase("  -- a comment\nSELECT count(*) FROM orders; values (1)", false)]
    [TestCase("with x as (select 1) select * from x", false)]
    [TestCase("insert into orders values (1)", true)]
    [TestCase("UPDATE orders SET note = 'x'", true)]
    [TestCase("delete from orders", true)]
    [TestCase("with d as (delete from orders returning *) select * from d", true)]
    [TestCase("select * into copy_of_orders from orders", true)]
    [TestCase("select * from orders for update", true)]
    [TestCase("merge into orders o using x on true when matched then delete", true)]
    [TestCase("call fix_orders()", true)]
    [TestCase("select 1; delete from orders", true)]
    [TestCase("", true)]
    [TestCase("select 'unterminated", true)]
    public void Statements_that_may_write_are_the_ones_logged(string sql, bool mayWrite) => SupportWrites.MayWrite(sql).ShouldBe(mayWrite);
}
