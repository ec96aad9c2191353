using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Parity;

/// <summary>
/// A statement cancelled through its <see cref="CancellationToken"/> (async only: the sync API takes none) fails as on
/// Npgsql, and the connection stays usable and under its tenant.
/// </summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Session)]
public sealed class TokenCancellationParityTests(SyncOrAsync mode, TenantContextScope scope) : ParityFixture(mode, scope)
{
    private const string Sleep = "select pg_sleep(5)";

    [Test]
    public async Task A_Dapper_statement_cancelled_through_its_token_fails_and_the_connection_keeps_its_tenant()
    {
        var outcome = await SameAsync(async side =>
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            var error = await Outcome.OfAsync(() => side.Connection.ExecuteAsync(new CommandDefinition(Sleep, cancellationToken: cancel.Token)));
            return (error, await TenantSeenAsync(side.Connection));
        });
        outcome.error.ShouldBe("error System.OperationCanceledException: Query was cancelled <- Npgsql.PostgresException 57014: canceling statement due to user request");
        outcome.Item2.ShouldBe("5 rows, tenant acme");
    }

    [Test]
    public async Task An_ADO_NET_reader_cancelled_through_its_token_fails_and_the_connection_keeps_its_tenant()
    {
        var outcome = await SameAsync(async side =>
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            await using var command = Command(side.Connection, "select pg_sleep($1)", (null, 5.0));
            var error = await Outcome.OfAsync(async () =>
            {
                await using var reader = await command.ExecuteReaderAsync(cancel.Token);
                return await reader.ReadAsync(cancel.Token);
            });
            return (error, await TenantSeenAsync(side.Connection));
        });
        outcome.error.ShouldStartWith("error System.OperationCanceledException");
    }

    [Test]
    public async Task A_token_cancelled_before_the_call_fails_the_same_way()
    {
        var outcome = await SameAsync(async side =>
        {
            using var cancel = new CancellationTokenSource();
            await cancel.CancelAsync();
            var viaDapper = await Outcome.OfAsync(() => side.Connection.QueryAsync<int>(new CommandDefinition("select 1", cancellationToken: cancel.Token)));
            var viaAdo = await Outcome.OfAsync(() => Command(side.Connection, "select 1").ExecuteScalarAsync(cancel.Token));
            return (viaDapper, viaAdo, await TenantSeenAsync(side.Connection));
        });
        outcome.viaDapper.ShouldStartWith("error System.");
    }

    [Test]
    public async Task A_statement_cancelled_in_a_transaction_aborts_it_and_after_rollback_the_tenant_is_still_set()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            await using var transaction = await c.BeginTransactionAsync();
            var id = side.NewId();
            await c.ExecuteAsync("insert into orders (id, total) values (@id, 1)", new { id }, transaction);
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            var error = await Outcome.OfAsync(() => c.ExecuteAsync(new CommandDefinition(Sleep, transaction: transaction, cancellationToken: cancel.Token)));
            var aborted = await Outcome.OfAsync(() => TenantSeenAsync(c, transaction));
            await transaction.RollbackAsync();
            return (error, aborted, await TenantSeenAsync(c), await StampAsync(id));
        });
        outcome.aborted.ShouldStartWith("error Npgsql.PostgresException 25P02");
        outcome.Item3.ShouldBe("5 rows, tenant acme");
        outcome.Item4.ShouldBeNull();
    }
}
