using System.Data;
using System.Data.Common;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Parity;

/// <summary>
/// <see cref="DbBatch"/> works on a tenant connection as on Npgsql: the results of each command, records affected
/// per command and in total, errors (and which command failed), and the all-or-nothing implicit transaction.
/// </summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Session)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Session)]
public sealed class BatchParityTests(SyncOrAsync mode, TenantContextScope scope) : ParityFixture(mode, scope)
{
    [Test]
    public async Task A_connection_creates_batches_bound_to_it()
    {
        var outcome = await SameAsync(async side =>
        {
            await using var batch = side.Connection.CreateBatch();
            Add(batch, "select 1");
            return (side.Connection.CanCreateBatch, ReferenceEquals(batch.Connection, side.Connection), batch.BatchCommands.Count, Outcome.Describe(await BatchScalarAsync(batch)));
        });
        outcome.ShouldBe((true, true, 1, "Int32:1"));
    }

    [Test]
    public async Task A_batch_returns_the_results_of_each_command_and_the_records_each_affected()
    {
        var outcome = await SameAsync(async side =>
        {
            var (a, b) = (side.NewId(), side.NewId());
            await using var batch = side.Connection.CreateBatch();
            Add(batch, "select id from orders where id < @max order by id", ("max", 3));
            Add(batch, "insert into orders (id, total) values ($1, 1), ($2, 2)", (null, a), (null, b));
            Add(batch, "update orders set note = 'batched' where id in (@a, @b, 101)", ("a", a), ("b", b));
            Add(batch, "select count(*) from orders where id < 10000");
            Add(batch, "delete from orders where id = @a", ("a", a));
            await using var reader = await BatchReaderAsync(batch);
            var (results, total) = await AllResultsAsync(reader);
            await CloseAsync(reader);
            var each = batch.BatchCommands.Cast<DbBatchCommand>().Select(c => c.RecordsAffected).ToList();
            return (results, total, each, await StampAsync(a), await StampAsync(b));
        });
        Outcome.Describe(outcome).ShouldBe(
            "([\"1 fields: [Int32:1] [Int32:2]\", \"1 fields: [Int64:5]\"], Int32:5, [Int32:-1, Int32:2, Int32:2, Int32:-1, Int32:1], null, \"acme\")");
    }

    [Test]
    public async Task ExecuteNonQuery_of_a_batch_returns_the_total_and_each_command_its_own_count()
    {
        var outcome = await SameAsync(async side =>
        {
            var id = side.NewId();
            await using var batch = side.Connection.CreateBatch();
            Add(batch, "insert into orders (id, total) values (@id, 3)", ("id", id));
            Add(batch, "update orders set note = note where id < 10000");
            Add(batch, "select id from orders");
            var total = Async ? await batch.ExecuteNonQueryAsync() : batch.ExecuteNonQuery();
            return (total, batch.BatchCommands.Cast<DbBatchCommand>().Select(c => c.RecordsAffected).ToList(), await StampAsync(id));
        });
        Outcome.Describe(outcome).ShouldBe("(Int32:6, [Int32:1, Int32:5, Int32:-1], \"acme\")");
    }

    // Npgsql's ExecuteScalar gives the first value of the first result that has a row description, skipping
    // commands such as an insert without RETURNING.
    [Test]
    public async Task ExecuteScalar_of_a_batch_returns_the_first_value_of_the_first_command()
    {
        var outcome = await SameAsync(async side =>
        {
            await using var batch = side.Connection.CreateBatch();
            Add(batch, "select total from orders where id = $1", (null, 2));
            Add(batch, "select 99");
            return await BatchScalarAsync(batch);
        });
        outcome.ShouldBe(20.00m);
    }

    // Npgsql names the failed command (DbException.BatchCommand) only with Include Failed Batched Command=true.
    [TestCase(false)]
    [TestCase(true)]
    public async Task An_error_in_the_second_command_fails_the_batch_and_undoes_the_first(bool includeFailedBatchedCommand)
    {
        var outcome = await SameAsync(async side =>
        {
            var (a, b) = (side.NewId(), side.NewId());
            await using var tenants = Db.CreateTenants(c => c.IncludeFailedBatchedCommand = includeFailedBatchedCommand, o => o.ContextScope = Scope);
            await using var connection = side.IsTenant ? (Async ? await tenants.OpenAsync(Acme) : tenants.Open(Acme)) : await OpenReferenceAsync(includeFailedBatchedCommand);
            await using var batch = connection.CreateBatch();
            Add(batch, "insert into orders (id, total) values (@a, 1)", ("a", a));
            Add(batch, "select 1 / (count(*) - count(*)) from orders");
            Add(batch, "insert into orders (id, total) values (@b, 1)", ("b", b));
            int? failedIndex = null;
            var error = await Outcome.OfAsync(async () =>
            {
                try
                {
                    return Async ? await batch.ExecuteNonQueryAsync() : batch.ExecuteNonQuery();
                }
                catch (DbException e)
                {
                    failedIndex = e.BatchCommand is { } failed ? batch.BatchCommands.IndexOf(failed) : null;
                    throw;
                }
            });
            return (error, failedIndex, await StampAsync(a), await StampAsync(b), await TenantSeenAsync(connection));
        });
        Outcome.Describe(outcome).ShouldBe($"(\"error Npgsql.PostgresException 22012: division by zero\", {(includeFailedBatchedCommand ? "Int32:1" : "null")}, null, null, \"5 rows, tenant acme\")");
    }

    [Test]
    public async Task A_batch_in_a_transaction_runs_under_the_tenant_first_and_later_and_commits()
    {
        var outcome = await SameAsync(async side =>
        {
            var (a, b) = (side.NewId(), side.NewId());
            var c = side.Connection;
            await using var transaction = await BeginAsync(c);
            await using var first = c.CreateBatch();
            first.Transaction = transaction;
            Add(first, "insert into orders (id, total) values (@a, 1)", ("a", a));
            Add(first, "select count(*) from orders where id < 10000");
            var seenFirst = await BatchScalarAsync(first);
            await using var later = c.CreateBatch();
            later.Transaction = transaction;
            Add(later, "insert into orders (id, total) values ($1, 1)", (null, b));
            Add(later, "select string_agg(tenant, ',') from orders where id in ($1, $2)", (null, a), (null, b));
            var seenLater = await BatchScalarAsync(later);
            await CommitAsync(transaction);
            return (seenFirst, seenLater, await StampAsync(a), await StampAsync(b));
        });
        Outcome.Describe(outcome).ShouldBe("(Int64:5, \"acme,acme\", \"acme\", \"acme\")");
    }

    [Test]
    public async Task An_Output_parameter_of_a_batch_command_is_filled()
    {
        var outcome = await SameAsync(async side =>
        {
            await using var batch = side.Connection.CreateBatch();
            Add(batch, "select 1");
            var second = Add(batch, "select 42 as x, count(*) as n from orders where id < 10000");
            var x = second.CreateParameter();
            x.ParameterName = "x";
            x.Direction = ParameterDirection.Output;
            x.DbType = DbType.Int32;
            second.Parameters.Add(x);
            var n = second.CreateParameter();
            n.ParameterName = "n";
            n.Direction = ParameterDirection.Output;
            n.DbType = DbType.Int64;
            second.Parameters.Add(n);
            _ = Async ? await batch.ExecuteNonQueryAsync() : batch.ExecuteNonQuery();
            return (x.Value, n.Value);
        });
        Outcome.Describe(outcome).ShouldBe("(Int32:42, Int64:5)");
    }

    [Test]
    public async Task A_StoredProcedure_batch_command_runs_under_the_tenant()
    {
        var outcome = await SameAsync(async side =>
        {
            var id = side.NewId();
            await using var batch = side.Connection.CreateBatch();
            var call = Add(batch, "add_order", ("p_id", id), ("p_total", 4m));
            call.CommandType = CommandType.StoredProcedure;
            Add(batch, "select tenant from orders where id = @id", ("id", id));
            return (await BatchScalarAsync(batch), await StampAsync(id));
        });
        outcome.ShouldBe(((object?)Acme, (string?)Acme));
    }

    [Test]
    public async Task A_batch_command_of_several_statements_is_refused_as_Npgsql_refuses_it()
    {
        var outcome = await SameAsync(async side =>
        {
            await using var batch = side.Connection.CreateBatch();
            Add(batch, "select 1; select 2");
            return (await Outcome.OfAsync(() => BatchScalarAsync(batch)), await TenantSeenAsync(side.Connection));
        });
        outcome.Item1.ShouldStartWith("error Npgsql.PostgresException 42601");
    }

    // Npgsql does not refuse an empty batch: it sends nothing and ExecuteScalar returns null.
    [Test]
    public async Task An_empty_batch_returns_nothing_as_on_Npgsql()
    {
        var outcome = await SameAsync(async side =>
        {
            await using var batch = side.Connection.CreateBatch();
            return (await Outcome.OfAsync(() => BatchScalarAsync(batch)), await TenantSeenAsync(side.Connection));
        });
        outcome.Item1.ShouldBe("value null");
    }

    [Test]
    public async Task A_prepared_batch_runs_again_with_changed_parameters()
    {
        var outcome = await SameAsync(async side =>
        {
            await using var batch = side.Connection.CreateBatch();
            var first = Add(batch, "select count(*) from orders where id < $1", (null, 3));
            Add(batch, "select coalesce(sum(total), 0) from orders where id < @max", ("max", 3));
            if (Async)
            {
                await batch.PrepareAsync();
            }
            else
            {
                batch.Prepare();
            }

            var results = new List<string>();
            foreach (var max in new[] { 3, 5, 10_000 })
            {
                first.Parameters[0].Value = max;
                batch.BatchCommands[1].Parameters[0].Value = max;
                await using var reader = await BatchReaderAsync(batch);
                results.Add(string.Join(" | ", (await AllResultsAsync(reader)).Results));
            }

            return results;
        });
        outcome.ShouldBe(["1 fields: [Int64:2] | 1 fields: [Decimal:30.00]", "1 fields: [Int64:4] | 1 fields: [Decimal:100.00]", "1 fields: [Int64:5] | 1 fields: [Decimal:150.00]"]);
    }

    [Test]
    public async Task A_batch_cancelled_through_DbBatch_Cancel_fails_and_the_connection_keeps_its_tenant()
    {
        var outcome = await SameAsync(async side =>
        {
            await using var batch = side.Connection.CreateBatch();
            Add(batch, "select 1");
            Add(batch, "select pg_sleep(5)");
            using var timer = new Timer(_ => batch.Cancel(), null, TimeSpan.FromMilliseconds(500), Timeout.InfiniteTimeSpan);
            var error = await Outcome.OfAsync(async () => Async ? await batch.ExecuteNonQueryAsync() : batch.ExecuteNonQuery());
            return (error, await TenantSeenAsync(side.Connection));
        });
        outcome.error.ShouldStartWith("error System.OperationCanceledException");
        outcome.Item2.ShouldBe("5 rows, tenant acme");
    }

    // Not a parity case: on Npgsql 10.0.3 disposing a batch from NpgsqlConnection.CreateBatch() while its reader is open
    // breaks the connection (the reader throws ArgumentOutOfRangeException; then either the next statement is handed the
    // batch's pending result, or every later call, Close included, throws NpgsqlOperationInProgressException). A tenant
    // connection must do no worse than keep each statement's result its own and stay closable.
    [Test]
    public async Task Disposing_a_tenant_batch_while_its_reader_is_open_never_hands_its_results_to_the_next_statement()
    {
        var connection = Async ? await Tenants.OpenAsync(Acme) : Tenants.Open(Acme);
        var batch = connection.CreateBatch();
        Add(batch, "select id from orders where id < $1 order by id", (null, 10_000));
        Add(batch, "select 'pending'");
        var reader = await BatchReaderAsync(batch);
        await DisposeAsync(batch);
        await Outcome.OfAsync(() => RowsAsync(reader));
        await Outcome.OfAsync(() => DisposeAsync(reader));
        (await TenantSeenAsync(connection)).ShouldBe("5 rows, tenant acme");
        await Should.NotThrowAsync(() => DisposeAsync(connection));
    }

    private static DbBatchCommand Add(DbBatch batch, string sql, params (string? Name, object? Value)[] parameters)
    {
        var command = batch.CreateBatchCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            if (name is not null)
            {
                parameter.ParameterName = name;
            }

            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        batch.BatchCommands.Add(command);
        return command;
    }

    private async Task<DbConnection> OpenReferenceAsync(bool includeFailedBatchedCommand)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(Db.CreateReference(Acme).ConnectionString) { IncludeFailedBatchedCommand = includeFailedBatchedCommand };
        var connection = new Npgsql.NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private async Task<DbDataReader> BatchReaderAsync(DbBatch batch) => Async ? await batch.ExecuteReaderAsync() : batch.ExecuteReader();

    private async Task<object?> BatchScalarAsync(DbBatch batch) => Async ? await batch.ExecuteScalarAsync() : batch.ExecuteScalar();
}
