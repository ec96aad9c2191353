using System.Data;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Parity;

/// <summary><see cref="CommandType.StoredProcedure"/> calls and positional (<c>$1</c>) parameters behave as on Npgsql, under the tenant.</summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Session)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Session)]
public sealed class StoredProcedureParityTests(SyncOrAsync mode, TenantContextScope scope) : ParityFixture(mode, scope)
{
    [Test]
    public async Task A_Dapper_StoredProcedure_call_writes_under_the_tenant()
    {
        var outcome = await SameAsync(async side =>
        {
            var id = side.NewId();
            var args = new { p_id = id, p_total = 5m };
            var affected = Async
                ? await side.Connection.ExecuteAsync("add_order", args, commandType: CommandType.StoredProcedure)
                : side.Connection.Execute("add_order", args, commandType: CommandType.StoredProcedure);
            return (affected, await StampAsync(id));
        });
        outcome.ShouldBe((-1, Acme));
    }

    [Test]
    public async Task An_ADO_NET_StoredProcedure_call_with_named_or_positional_parameters_writes_under_the_tenant()
    {
        var outcome = await SameAsync(async side =>
        {
            var (a, b) = (side.NewId(), side.NewId());
            var named = Command(side.Connection, "add_order", ("p_total", 2m), ("p_id", a));
            named.CommandType = CommandType.StoredProcedure;
            var positional = Command(side.Connection, "add_order", (null, b), (null, 3m));
            positional.CommandType = CommandType.StoredProcedure;
            return (await NonQueryAsync(named), await NonQueryAsync(positional), await StampAsync(a), await StampAsync(b));
        });
        outcome.ShouldBe((-1, -1, Acme, Acme));
    }

    [Test]
    public async Task A_StoredProcedure_command_naming_a_function_fails_as_on_Npgsql()
    {
        var outcome = await SameAsync(async side =>
        {
            var command = Command(side.Connection, "order_count");
            command.CommandType = CommandType.StoredProcedure;
            return (await Outcome.OfAsync(() => ScalarAsync(command)), await TenantSeenAsync(side.Connection));
        });
        outcome.Item1.ShouldStartWith("error Npgsql.PostgresException 42809");
    }

    [Test]
    public async Task A_StoredProcedure_reader_over_a_procedure_with_an_INOUT_parameter_returns_its_row()
    {
        var outcome = await SameAsync(async side =>
        {
            var command = Command(side.Connection, "order_total", ("p_id", 4));
            command.CommandType = CommandType.StoredProcedure;
            await using var reader = await ReaderAsync(command);
            return await AllResultsAsync(reader);
        });
        Outcome.Describe(outcome).ShouldBe("([\"1 fields: [Decimal:40.00]\"], Int32:-1)");
    }

    [Test]
    public async Task Positional_parameters_select_insert_and_run_again_under_the_tenant()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var id = side.NewId();
            var insert = Command(c, "insert into orders (id, total, note) values ($1, $2, $3)", (null, id), (null, 9.5m), (null, "positional"));
            var inserted = await NonQueryAsync(insert);
            var query = Command(c, "select count(*) from orders where id < $1 and total >= $2", (null, 10_000), (null, 20m));
            var counts = new List<object?> { await ScalarAsync(query) };
            query.Parameters[1].Value = 40m;
            counts.Add(await ScalarAsync(query));
            return (inserted, counts, await StampAsync(id), query.Parameters.Count);
        });
        Outcome.Describe(outcome).ShouldBe("(Int32:1, [Int64:4, Int64:2], \"acme\", Int32:2)");
    }

    [Test]
    public async Task Positional_parameters_work_first_and_later_in_a_transaction()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var (a, b) = (side.NewId(), side.NewId());
            await using var transaction = await BeginAsync(c);
            var first = Command(c, "insert into orders (id, total) values ($1, 1)", (null, a));
            first.Transaction = transaction;
            var later = Command(c, "insert into orders (id, total) values ($1, 1) returning tenant", (null, b));
            later.Transaction = transaction;
            var results = (await NonQueryAsync(first), await ScalarAsync(later));
            await CommitAsync(transaction);
            return (results, await StampAsync(a), await StampAsync(b));
        });
        Outcome.Describe(outcome).ShouldBe("((Int32:1, \"acme\"), \"acme\", \"acme\")");
    }

    [Test]
    public async Task A_positional_placeholder_without_a_parameter_fails_as_on_Npgsql()
    {
        var outcome = await SameAsync(async side => (
            await Outcome.OfAsync(() => ScalarAsync(Command(side.Connection, "select $1::text"))),
            await TenantSeenAsync(side.Connection)));
        outcome.Item1.ShouldStartWith("error Npgsql.PostgresException");
    }

    [Test]
    public async Task Named_and_positional_parameters_mixed_fail_as_on_Npgsql()
    {
        var outcome = await SameAsync(async side =>
        {
            var command = Command(side.Connection, "select @a::int + $1::int", ("a", 1), (null, 2));
            return (await Outcome.OfAsync(() => ScalarAsync(command)), await TenantSeenAsync(side.Connection));
        });
        outcome.Item2.ShouldBe("5 rows, tenant acme");
    }
}
