using System.Data.Common;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Parity;

/// <summary>
/// A prepared command runs several times with changed parameters, inside and outside a transaction, and every
/// execution uses the statement <see cref="DbCommand.Prepare"/> prepared (counted by PostgreSQL in pg_prepared_statements).
/// </summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Session)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Session)]
public sealed class PrepareParityTests(SyncOrAsync mode, TenantContextScope scope) : ParityFixture(mode, scope)
{
    [Test]
    public async Task A_prepared_query_runs_several_times_with_changed_parameters_on_its_prepared_statement()
    {
        var outcome = await SameAsync(async side =>
        {
            var marker = Marker();
            var command = Command(side.Connection, $"/* {marker} */ select count(*) from orders where id < @max", ("max", 0));
            await PrepareAsync(command);
            var counts = new List<object?>();
            foreach (var max in new[] { 3, 5, 10_000 })
            {
                command.Parameters[0].Value = max;
                counts.Add(await ScalarAsync(command));
            }

            return (counts, await PlanUsesAsync(side.Connection, marker));
        });
        Outcome.Describe(outcome).ShouldBe("([Int64:2, Int64:4, Int64:5], Int64:3)");
    }

    [Test]
    public async Task A_prepared_query_with_positional_parameters_runs_several_times_on_its_prepared_statement()
    {
        var outcome = await SameAsync(async side =>
        {
            var marker = Marker();
            var command = Command(side.Connection, $"/* {marker} */ select coalesce(sum(total), 0) from orders where id < $1", (null, 0));
            await PrepareAsync(command);
            var sums = new List<string>();
            foreach (var max in new[] { 2, 4, 10_000 })
            {
                command.Parameters[0].Value = max;
                await using var reader = await ReaderAsync(command);
                sums.AddRange(await RowsAsync(reader));
            }

            return (sums, await PlanUsesAsync(side.Connection, marker));
        });
        Outcome.Describe(outcome).ShouldBe("([\"[Decimal:10.00]\", \"[Decimal:60.00]\", \"[Decimal:150.00]\"], Int64:3)");
    }

    [Test]
    public async Task A_command_prepared_in_a_transaction_writes_under_the_tenant_on_every_execution()
    {
        var outcome = await SameAsync(async side =>
        {
            var marker = Marker();
            var ids = new[] { side.NewId(), side.NewId(), side.NewId() };
            await using var transaction = await BeginAsync(side.Connection);
            var command = Command(side.Connection, $"/* {marker} */ insert into orders (id, total) values (@id, @total)", ("id", 0), ("total", 0m));
            command.Transaction = transaction;
            await PrepareAsync(command);
            var affected = new List<int>();
            foreach (var id in ids)
            {
                command.Parameters["id"].Value = id;
                command.Parameters["total"].Value = 1.5m;
                affected.Add(await NonQueryAsync(command));
            }

            var uses = await PlanUsesAsync(side.Connection, marker, transaction);
            await CommitAsync(transaction);
            return (affected, uses, await Task.WhenAll(ids.Select(StampAsync)));
        });
        Outcome.Describe(outcome).ShouldBe("([Int32:1, Int32:1, Int32:1], Int64:3, [\"acme\", \"acme\", \"acme\"])");
    }

    [Test]
    public async Task A_prepared_command_whose_text_changes_runs_the_new_text()
    {
        var outcome = await SameAsync(async side =>
        {
            var command = Command(side.Connection, "select count(*) from orders where id < @max", ("max", 3));
            await PrepareAsync(command);
            var before = await ScalarAsync(command);
            command.CommandText = "select coalesce(sum(total), 0) from orders where id < @max";
            var after = await ScalarAsync(command);
            await PrepareAsync(command);
            command.Parameters[0].Value = 10_000;
            return (before, after, await ScalarAsync(command), await TenantSeenAsync(side.Connection));
        });
        Outcome.Describe(outcome).ShouldBe("(Int64:2, Decimal:30.00, Decimal:150.00, \"5 rows, tenant acme\")");
    }

    /// <summary>A text unique to one side's run, put in a comment so that pg_prepared_statements finds its statement.</summary>
    private static string Marker() => "m" + Guid.NewGuid().ToString("N");

    /// <summary>How many times this session executed the prepared statements whose text holds <paramref name="marker"/>.</summary>
    private async Task<object?> PlanUsesAsync(DbConnection connection, string marker, DbTransaction? transaction = null)
    {
        var command = Command(connection, "select coalesce(sum(generic_plans + custom_plans), -1)::bigint from pg_prepared_statements where strpos(statement, @marker) > 0", ("marker", marker));
        command.Transaction = transaction;
        return await ScalarAsync(command);
    }

    private async Task PrepareAsync(DbCommand command)
    {
        if (Async)
        {
            await command.PrepareAsync();
        }
        else
        {
            command.Prepare();
        }
    }
}
