using System.Data;
using System.Transactions;
using DapperTenants.Tests.Support;
using IsolationLevel = System.Data.IsolationLevel;

namespace DapperTenants.Tests.Parity;

/// <summary>
/// Transactions behave as on Npgsql and every statement in them runs under the tenant: <see cref="TransactionScope"/>,
/// savepoints through the API and as SQL text, and transaction control sent as SQL text.
/// </summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Session)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Session)]
public sealed class TransactionParityTests(SyncOrAsync mode, TenantContextScope scope) : ParityFixture(mode, scope)
{
    private const string Insert = "insert into orders (id, total) values (@id, 1)";

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_connection_opened_in_a_TransactionScope_writes_under_the_tenant_and_commits_only_when_complete(bool complete)
    {
        var outcome = await SameAsync(async side =>
        {
            var id = side.NewId();
            string seen;
            using (var transactionScope = Async ? new TransactionScope(TransactionScopeAsyncFlowOption.Enabled) : new TransactionScope())
            {
                await using var connection = await side.OpenAsync();
                await ExecuteAsync(connection, Insert, new { id });
                seen = await TenantSeenAsync(connection);
                if (complete)
                {
                    transactionScope.Complete();
                }
            }

            return (seen, await StampAsync(id), await TenantSeenAsync(side.Connection));
        });
        outcome.ShouldBe(("5 rows, tenant acme", complete ? Acme : null, "5 rows, tenant acme"));
    }

    [Test]
    public async Task Savepoints_through_the_API_undo_what_they_should_and_the_tenant_stays_set()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var (a, b, x) = (side.NewId(), side.NewId(), side.NewId());
            var transaction = await BeginAsync(c);
            await SaveAsync(transaction, "s1");
            await ExecuteAsync(c, Insert, new { id = a }, transaction);
            await RollbackToAsync(transaction, "s1");
            var afterRollback = await TenantSeenAsync(c, transaction);
            await ExecuteAsync(c, Insert, new { id = b }, transaction);
            await SaveAsync(transaction, "s2");
            await ExecuteAsync(c, Insert, new { id = x }, transaction);
            transaction.Release("s2");
            await CommitAsync(transaction);
            return (afterRollback, await StampAsync(a), await StampAsync(b), await StampAsync(x));
        });
        outcome.ShouldBe(("5 rows, tenant acme", null, Acme, Acme));
    }

    [Test]
    public async Task A_rollback_to_a_savepoint_sent_as_SQL_leaves_the_next_statements_under_the_tenant()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var (a, b) = (side.NewId(), side.NewId());
            var transaction = await BeginAsync(c);
            await SaveAsync(transaction, "s1");
            await ExecuteAsync(c, Insert, new { id = a }, transaction);
            await ExecuteAsync(c, "rollback to savepoint s1", null, transaction);
            var afterRollback = await TenantSeenAsync(c, transaction);
            await ExecuteAsync(c, Insert, new { id = b }, transaction);
            await CommitAsync(transaction);
            return (afterRollback, await StampAsync(a), await StampAsync(b));
        });
        outcome.ShouldBe(("5 rows, tenant acme", null, Acme));
    }

    [Test]
    public async Task Savepoints_sent_as_SQL_leave_the_next_statements_under_the_tenant()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var (a, b) = (side.NewId(), side.NewId());
            var transaction = await BeginAsync(c);
            await ExecuteAsync(c, "savepoint s1", null, transaction);
            await ExecuteAsync(c, Insert, new { id = a }, transaction);
            await ExecuteAsync(c, "ROLLBACK TO s1", null, transaction);
            var afterRollback = await TenantSeenAsync(c, transaction);
            await ExecuteAsync(c, "savepoint s2; " + Insert + "; release savepoint s2", new { id = b }, transaction);
            await CommitAsync(transaction);
            return (afterRollback, await StampAsync(a), await StampAsync(b));
        });
        outcome.ShouldBe(("5 rows, tenant acme", null, Acme));
    }

    [Test]
    public async Task A_ROLLBACK_sent_as_SQL_ends_the_transaction_as_on_Npgsql()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var a = side.NewId();
            var transaction = await BeginAsync(c);
            await ExecuteAsync(c, Insert, new { id = a }, transaction);
            var rollback = await Outcome.OfAsync(() => ExecuteAsync(c, "rollback", null, transaction));
            var next = await Outcome.OfAsync(() => TenantSeenAsync(c));
            var commit = await Outcome.OfAsync(() => CommitAsync(transaction));
            return (rollback, next, commit, await TenantSeenAsync(c), await StampAsync(a));
        });
        outcome.Item4.ShouldBe("5 rows, tenant acme");
        outcome.Item5.ShouldBeNull();
    }

    [Test]
    public async Task A_COMMIT_sent_as_SQL_ends_the_transaction_and_the_next_statements_stay_under_the_tenant()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var a = side.NewId();
            var transaction = await BeginAsync(c);
            await ExecuteAsync(c, Insert, new { id = a }, transaction);
            var commit = await Outcome.OfAsync(() => ExecuteAsync(c, "commit", null, transaction));
            var next = await Outcome.OfAsync(() => TenantSeenAsync(c));
            var apiCommit = await Outcome.OfAsync(() => CommitAsync(transaction));
            return (commit, next, apiCommit, await TenantSeenAsync(c), await StampAsync(a));
        });
        outcome.next.ShouldBe("value \"5 rows, tenant acme\"");
        outcome.Item4.ShouldBe("5 rows, tenant acme");
        outcome.Item5.ShouldBe(Acme);
    }

    [Test]
    public async Task A_transaction_begun_and_rolled_back_as_SQL_text_runs_its_statements_under_the_tenant()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var a = side.NewId();
            await ExecuteAsync(c, "begin");
            await ExecuteAsync(c, Insert, new { id = a });
            var inside = await TenantSeenAsync(c);
            await ExecuteAsync(c, "rollback");
            return (inside, await TenantSeenAsync(c), await StampAsync(a));
        });
        outcome.ShouldBe(("5 rows, tenant acme", "5 rows, tenant acme", null));
    }

    [TestCase("start transaction isolation level repeatable read")]
    [TestCase("begin isolation level serializable; ")]
    public async Task A_transaction_begun_with_an_isolation_level_as_SQL_text_gets_that_level_and_the_tenant(string begin)
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var a = side.NewId();
            var started = await Outcome.OfAsync(() => ExecuteAsync(c, begin));
            var level = await Outcome.OfAsync(async () => Async ? await c.ExecuteScalarAsync<string>("show transaction_isolation") : c.ExecuteScalar<string>("show transaction_isolation"));
            await ExecuteAsync(c, Insert, new { id = a });
            await ExecuteAsync(c, "commit");
            return (started, level, await TenantSeenAsync(c), await StampAsync(a));
        });
        outcome.level.ShouldNotBe("value \"read committed\"");
        outcome.Item4.ShouldBe(Acme);
    }

    [Test]
    public async Task A_transaction_begun_with_an_isolation_level_in_the_same_text_as_a_write_runs_as_on_Npgsql()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var a = side.NewId();
            var written = await Outcome.OfAsync(() => ExecuteAsync(c, "start transaction isolation level repeatable read; " + Insert, new { id = a }));
            var level = Async ? await c.ExecuteScalarAsync<string>("show transaction_isolation") : c.ExecuteScalar<string>("show transaction_isolation");
            await ExecuteAsync(c, "commit");
            return (written, level, await TenantSeenAsync(c), await StampAsync(a));
        });
        outcome.ShouldBe(("value Int32:1", "repeatable read", "5 rows, tenant acme", Acme));
    }

    [Test]
    public async Task A_failed_statement_aborts_the_transaction_and_after_rollback_the_tenant_is_still_set()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var transaction = await BeginAsync(c, IsolationLevel.Serializable);
            var level = Async ? await c.ExecuteScalarAsync<string>("show transaction_isolation", transaction: transaction) : c.ExecuteScalar<string>("show transaction_isolation", transaction: transaction);
            var failed = await Outcome.OfAsync(() => ExecuteAsync(c, "select 1 / 0", null, transaction));
            var aborted = await Outcome.OfAsync(() => TenantSeenAsync(c, transaction));
            await RollbackAsync(transaction);
            return (level, failed, aborted, await TenantSeenAsync(c));
        });
        outcome.ShouldBe(("serializable", "error Npgsql.PostgresException 22012: division by zero",
            "error Npgsql.PostgresException 25P02: current transaction is aborted, commands ignored until end of transaction block", "5 rows, tenant acme"));
    }

    // Npgsql does not check a command's Transaction once it has finished: the command runs outside any transaction.
    [Test]
    public async Task A_command_whose_transaction_finished_runs_as_on_Npgsql()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var transaction = await BeginAsync(c);
            var command = Command(c, "select count(*) from orders where id < 10000");
            command.Transaction = transaction;
            var first = await ScalarAsync(command);
            await CommitAsync(transaction);
            var again = await Outcome.OfAsync(() => ScalarAsync(command));
            return (first, again, await TenantSeenAsync(c));
        });
        Outcome.Describe(outcome.first).ShouldBe("Int64:5");
    }

    // CommandType.Text always: Dapper takes a text without whitespace ("begin", "commit") for a stored procedure name.
    private async Task<int> ExecuteAsync(System.Data.Common.DbConnection connection, string sql, object? parameters = null, System.Data.Common.DbTransaction? transaction = null) =>
        Async
            ? await connection.ExecuteAsync(sql, parameters, transaction, commandType: CommandType.Text)
            : connection.Execute(sql, parameters, transaction, commandType: CommandType.Text);

    private async Task SaveAsync(System.Data.Common.DbTransaction transaction, string name)
    {
        if (Async)
        {
            await transaction.SaveAsync(name);
        }
        else
        {
            transaction.Save(name);
        }
    }

    private async Task RollbackToAsync(System.Data.Common.DbTransaction transaction, string name)
    {
        if (Async)
        {
            await transaction.RollbackAsync(name);
        }
        else
        {
            transaction.Rollback(name);
        }
    }
}
