using System.Data.Common;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Parity;

/// <summary>
/// A statement cancelled through <see cref="DbCommand.Cancel"/> or stopped by its command timeout fails as on Npgsql,
/// and the connection stays usable and under its tenant.
/// </summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Session)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Session)]
public sealed class CancellationParityTests(SyncOrAsync mode, TenantContextScope scope) : ParityFixture(mode, scope)
{
    // Long enough that a cancel or a 1 s timeout always lands during the sleep; short enough that a cancel that is
    // lost costs a few seconds, not a hung run.
    private const string Sleep = "select pg_sleep(5)";

    // What Npgsql throws for DbCommand.Cancel(), sync and async alike: the server's 57014 wrapped in an OperationCanceledException.
    private const string Cancelled = "error System.OperationCanceledException: Query was cancelled <- Npgsql.PostgresException 57014: canceling statement due to user request";

    [Test]
    public async Task DbCommand_Cancel_stops_a_running_statement_and_the_connection_keeps_its_tenant()
    {
        var outcome = await SameAsync(async side =>
        {
            var command = Command(side.Connection, Sleep);
            var error = await CancelDuringAsync(command, () => NonQueryAsync(command));
            return (error, await TenantSeenAsync(side.Connection));
        });
        outcome.error.ShouldBe(Cancelled);
        outcome.Item2.ShouldBe("5 rows, tenant acme");
    }

    [Test]
    public async Task DbCommand_Cancel_stops_a_running_statement_with_positional_parameters()
    {
        var outcome = await SameAsync(async side =>
        {
            var command = Command(side.Connection, "select pg_sleep($1)", (null, 5.0));
            var error = await CancelDuringAsync(command, () => ScalarAsync(command));
            return (error, await TenantSeenAsync(side.Connection));
        });
        outcome.error.ShouldBe(Cancelled);
    }

    [Test]
    public async Task DbCommand_Cancel_stops_a_reader_and_the_command_runs_again()
    {
        var outcome = await SameAsync(async side =>
        {
            var command = Command(side.Connection, "select id, pg_sleep(case when id = 3 then 5 else 0 end) from orders where id < 10000 order by id");
            var rows = new List<int>();
            var error = await CancelDuringAsync(command, async () =>
            {
                await using var reader = await ReaderAsync(command);
                while (await ReadAsync(reader))
                {
                    rows.Add(reader.GetInt32(0));
                }
            });
            command.CommandText = "select count(*) from orders where id < 10000";
            return (error, await ScalarAsync(command), await TenantSeenAsync(side.Connection));
        });
        outcome.error.ShouldBe(Cancelled);
        Outcome.Describe(outcome.Item2).ShouldBe("Int64:5");
    }

    [Test]
    public async Task A_command_timeout_stops_a_statement_and_the_connection_keeps_its_tenant()
    {
        var outcome = await SameAsync(async side =>
        {
            var viaDapper = await Outcome.OfAsync(async () => Async
                ? await side.Connection.ExecuteAsync(Sleep, commandTimeout: 1)
                : side.Connection.Execute(Sleep, commandTimeout: 1));
            var afterDapper = await TenantSeenAsync(side.Connection);
            var command = Command(side.Connection, "select pg_sleep($1)", (null, 5.0));
            command.CommandTimeout = 1;
            var viaAdo = await Outcome.OfAsync(() => ScalarAsync(command));
            return (viaDapper, afterDapper, viaAdo, await TenantSeenAsync(side.Connection));
        });
        outcome.viaDapper.ShouldStartWith("error Npgsql.NpgsqlException: Exception while reading from stream <- System.TimeoutException");
        outcome.Item4.ShouldBe("5 rows, tenant acme");
    }

    [Test]
    public async Task A_statement_timeout_in_a_transaction_aborts_it_and_after_rollback_the_tenant_is_still_set()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var transaction = await BeginAsync(c);
            var first = await TenantSeenAsync(c, transaction);
            var timedOut = await Outcome.OfAsync(async () => Async
                ? await c.ExecuteAsync(Sleep, transaction: transaction, commandTimeout: 1)
                : c.Execute(Sleep, transaction: transaction, commandTimeout: 1));
            var aborted = await Outcome.OfAsync(() => TenantSeenAsync(c, transaction));
            await RollbackAsync(transaction);
            return (first, timedOut, aborted, await TenantSeenAsync(c));
        });
        outcome.aborted.ShouldStartWith("error Npgsql.PostgresException 25P02");
        outcome.Item4.ShouldBe("5 rows, tenant acme");
    }

    /// <summary>Runs <paramref name="execute"/> and cancels <paramref name="command"/> from another thread while it runs.</summary>
    private static async Task<string> CancelDuringAsync(DbCommand command, Func<Task> execute)
    {
        using var timer = new Timer(_ => command.Cancel(), null, TimeSpan.FromMilliseconds(500), Timeout.InfiniteTimeSpan);
        return await Outcome.OfAsync(execute);
    }
}
