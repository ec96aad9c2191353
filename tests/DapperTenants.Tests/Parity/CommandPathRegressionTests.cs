using System.Data;
using System.Data.Common;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Parity;

/// <summary>One regression test per defect of the first command path listed in issue #13 (items 1, 2, 3, 6, 7 and 8).</summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Session)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Session)]
public sealed class CommandPathRegressionTests(SyncOrAsync mode, TenantContextScope scope) : ParityFixture(mode, scope)
{
    private const string GlobexInsert = "insert into orders (id, tenant, total) values (990001, 'globex', 1)";

    private async Task<TenantConnection> OpenAsync(TenantDataSource? tenants = null) =>
        Async ? await (tenants ?? Tenants).OpenAsync(Acme) : (tenants ?? Tenants).Open(Acme);

    // Issue #13, item 1.
    [Test]
    public async Task A_reader_outlives_its_disposed_command_and_unbuffered_Dapper_queries_work()
    {
        await using var connection = await OpenAsync();
        var command = connection.CreateCommand();
        command.CommandText = "select 1";
        var reader = await ReaderAsync(command);
        await DisposeAsync(command);
        (await ReadAsync(reader)).ShouldBeTrue();
        reader.GetInt32(0).ShouldBe(1);
        await Should.NotThrowAsync(() => DisposeAsync(reader));

        var streamed = Async
            ? await connection.QueryAsync<Order>(new CommandDefinition(Seed + " order by id", flags: CommandFlags.None))
            : connection.Query<Order>(Seed + " order by id", buffered: false);
        streamed.Select(o => o.Id).ShouldBe([1, 2, 3, 4, 5]);
        await connection.CloseAsync();
        var reopened = Async
            ? await connection.QueryAsync<int>(new CommandDefinition("select id from orders where id < 10000 order by id", flags: CommandFlags.None))
            : connection.Query<int>("select id from orders where id < 10000 order by id", buffered: false);
        reopened.ShouldBe([1, 2, 3, 4, 5]);
        connection.State.ShouldBe(ConnectionState.Closed);
        (await TenantSeenAsync(connection)).ShouldBe("5 rows, tenant acme");
    }

    // Issue #13, item 2.
    [Test]
    public async Task An_output_parameter_is_filled_on_statements_that_carry_the_tenant()
    {
        await using var connection = await OpenAsync();
        var outside = new DynamicParameters();
        outside.Add("x", dbType: DbType.Int32, direction: ParameterDirection.Output);
        _ = Async ? await connection.ExecuteAsync("select 42 as x", outside) : connection.Execute("select 42 as x", outside);
        outside.Get<int>("x").ShouldBe(42);

        await using var transaction = await BeginAsync(connection);
        var first = new DynamicParameters();
        first.Add("n", dbType: DbType.Int64, direction: ParameterDirection.Output);
        const string count = "select count(*) as n from orders where id < 10000";
        _ = Async ? await connection.ExecuteAsync(count, first, transaction) : connection.Execute(count, first, transaction);
        first.Get<long>("n").ShouldBe(5, "the first statement of the transaction carried the tenant and saw acme's rows");
        await CommitAsync(transaction);
    }

    // Issue #13, item 3.
    [Test]
    public async Task A_tenant_connection_runs_DbBatch_under_its_tenant_and_guards_every_batch_command()
    {
        await using var connection = await OpenAsync();
        connection.CanCreateBatch.ShouldBeTrue();
        var id = Db.NextId();
        await using (var batch = connection.CreateBatch())
        {
            AddTo(batch, "insert into orders (id, total) values ($1, 1)", id);
            AddTo(batch, "select count(*) from orders where id < $1", 10_000);
            (Async ? await batch.ExecuteScalarAsync() : batch.ExecuteScalar()).ShouldBe(5L);
        }

        (await StampAsync(id)).ShouldBe(Acme);

        var refused = Db.NextId();
        await using (var batch = connection.CreateBatch())
        {
            AddTo(batch, "insert into orders (id, total) values ($1, 1)", refused);
            AddTo(batch, GlobexInsert);
            await Should.ThrowAsync<TenantGuardException>(async () => _ = Async ? await batch.ExecuteNonQueryAsync() : batch.ExecuteNonQuery());
        }

        (await StampAsync(refused)).ShouldBeNull("a batch with a refused command is not sent at all");
    }

    // Issue #13, item 6.
    [Test]
    public async Task RefreshCatalog_leaves_open_connections_guarded_and_nothing_is_sent()
    {
        var server = Db.Database.Server;
        await using var proxy = new RoundTripCounter(server.Host, server.Port);
        await using var tenants = Db.CreateTenants(
            b =>
            {
                b.Host = "127.0.0.1";
                b.Port = proxy.Port;
                b.SslMode = SslMode.Disable;
            },
            o => o.ContextScope = Scope);
        await using var connection = await OpenAsync(tenants);
        var before = await Should.ThrowAsync<TenantGuardException>(() => ExecuteAsync(connection, GlobexInsert));

        tenants.RefreshCatalog();
        proxy.Reset();
        var after = await Should.ThrowAsync<TenantGuardException>(() => ExecuteAsync(connection, GlobexInsert));
        after.Message.ShouldBe(before.Message);
        proxy.RoundTrips.ShouldBe(0);
        (await TenantSeenAsync(connection)).ShouldBe("5 rows, tenant acme");
        proxy.RoundTrips.ShouldBe(1, "the connection goes through the counting proxy");
    }

    // Issue #13, item 7.
    [Test]
    public async Task A_command_disposed_while_its_reader_reads_keeps_the_callers_parameters_and_lends_nothing_to_the_next_command()
    {
        await using var connection = await OpenAsync();
        var command = connection.CreateCommand();
        command.CommandText = "select id from orders where id < $1 order by id";
        var parameter = command.CreateParameter();
        parameter.Value = 10_000;
        command.Parameters.Add(parameter);
        var reader = await ReaderAsync(command);
        await DisposeAsync(command);
        (await RowsAsync(reader)).Count.ShouldBe(5);
        await Should.NotThrowAsync(() => DisposeAsync(reader));
        parameter.Value.ShouldBe(10_000);

        await using var next = connection.CreateCommand();
        next.Parameters.Count.ShouldBe(0);
        next.CommandText = "select $1::int";
        var own = next.CreateParameter();
        own.Value = 7;
        next.Parameters.Add(own);
        (await ScalarAsync(next)).ShouldBe(7);
    }

    // Issue #13, item 8.
    [Test]
    public async Task Prepare_prepares_the_statement_every_execution_then_uses()
    {
        await using var connection = await OpenAsync();
        var marker = "m" + Guid.NewGuid().ToString("N");
        await using var command = Command(connection, $"/* {marker} */ select count(*) from orders where id < @max", ("max", 3));
        if (Async)
        {
            await command.PrepareAsync();
        }
        else
        {
            command.Prepare();
        }

        (await ScalarAsync(command)).ShouldBe(2L);
        command.Parameters[0].Value = 10_000;
        (await ScalarAsync(command)).ShouldBe(5L);
        (await ScalarAsync(command)).ShouldBe(5L);
        await using var uses = Command(connection, "select coalesce(sum(generic_plans + custom_plans), 0)::bigint from pg_prepared_statements where strpos(statement, @marker) > 0", ("marker", marker));
        (await ScalarAsync(uses)).ShouldBe(3L, "each execution ran on the prepared statement");
    }

    private static void AddTo(DbBatch batch, string sql, params object[] positional)
    {
        var command = batch.CreateBatchCommand();
        command.CommandText = sql;
        foreach (var value in positional)
        {
            var parameter = command.CreateParameter();
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        batch.BatchCommands.Add(command);
    }

    private async Task<int> ExecuteAsync(DbConnection connection, string sql) => Async ? await connection.ExecuteAsync(sql) : connection.Execute(sql);
}
