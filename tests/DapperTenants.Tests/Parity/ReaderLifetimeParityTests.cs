using System.Data;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Parity;

/// <summary>
/// ADO.NET commands and readers live as long as on Npgsql: a reader may outlive its command, a command may be reused
/// after its reader closed, and re-executing while a reader is open fails as Npgsql fails.
/// </summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Session)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Session)]
public sealed class ReaderLifetimeParityTests(SyncOrAsync mode, TenantContextScope scope) : ParityFixture(mode, scope)
{
    private const string Ids = "select id from orders where id < 10000 order by id";

    [Test]
    public async Task A_reader_outlives_its_disposed_command()
    {
        var outcome = await SameAsync(async side =>
        {
            var command = Command(side.Connection, "select 1");
            var reader = await ReaderAsync(command);
            await DisposeAsync(command);
            var rows = await RowsAsync(reader);
            await DisposeAsync(reader);
            return (rows, await TenantSeenAsync(side.Connection));
        });
        outcome.rows.ShouldBe(["[Int32:1]"]);
        outcome.Item2.ShouldBe("5 rows, tenant acme");
    }

    [Test]
    public async Task A_reader_with_named_parameters_outlives_its_disposed_command()
    {
        var outcome = await SameAsync(async side =>
        {
            var command = Command(side.Connection, "select id from orders where id < @max order by id", ("max", 10_000));
            var reader = await ReaderAsync(command);
            await DisposeAsync(command);
            var rows = await RowsAsync(reader);
            await DisposeAsync(reader);
            return (rows.Count, await TenantSeenAsync(side.Connection));
        });
        outcome.ShouldBe((5, "5 rows, tenant acme"));
    }

    [Test]
    public async Task A_reader_with_positional_parameters_outlives_its_disposed_command()
    {
        var outcome = await SameAsync(async side =>
        {
            var command = Command(side.Connection, "select id from orders where id < $1 order by id", (null, 10_000));
            var reader = await ReaderAsync(command);
            await DisposeAsync(command);
            var rows = await RowsAsync(reader);
            await DisposeAsync(reader);
            var next = Command(side.Connection, "select count(*) from orders where id < $1", (null, 3));
            return (rows.Count, await ScalarAsync(next), next.Parameters.Count, await TenantSeenAsync(side.Connection));
        });
        Outcome.Describe(outcome).ShouldBe("(Int32:5, Int64:2, Int32:1, \"5 rows, tenant acme\")");
    }

    [Test]
    public async Task A_command_created_while_a_disposed_commands_reader_is_open_is_a_fresh_command()
    {
        var outcome = await SameAsync(async side =>
        {
            var first = Command(side.Connection, "select id from orders where id < $1 order by id", (null, 10_000));
            var reader = await ReaderAsync(first);
            await DisposeAsync(first);
            var second = side.Connection.CreateCommand();
            var fresh = (second.CommandText, second.Parameters.Count);
            var rows = await RowsAsync(reader);
            await DisposeAsync(reader);
            second.CommandText = "select count(*) from orders";
            return (fresh, rows.Count, await ScalarAsync(second), second.Parameters.Count);
        });
        Outcome.Describe(outcome).ShouldBe("((\"\", Int32:0), Int32:5, Int64:5, Int32:0)");
    }

    [Test]
    public async Task A_reader_closed_before_its_command_is_disposed_leaves_the_connection_usable()
    {
        var outcome = await SameAsync(async side =>
        {
            var command = Command(side.Connection, Ids);
            var reader = await ReaderAsync(command);
            var first = await ReadAsync(reader) ? reader.GetInt32(0) : -1;
            await CloseAsync(reader);
            var closed = reader.IsClosed;
            await DisposeAsync(command);
            await DisposeAsync(reader);
            return (first, closed, await TenantSeenAsync(side.Connection));
        });
        outcome.ShouldBe((1, true, "5 rows, tenant acme"));
    }

    [Test]
    public async Task A_command_is_reused_with_changed_parameters_after_its_reader_closed()
    {
        var outcome = await SameAsync(async side =>
        {
            var command = Command(side.Connection, "select id from orders where id < @max order by id", ("max", 3));
            var results = new List<object?>();
            await using (var reader = await ReaderAsync(command))
            {
                results.Add(await RowsAsync(reader));
            }

            command.Parameters[0].Value = 5;
            await using (var reader = await ReaderAsync(command))
            {
                results.Add(await RowsAsync(reader));
            }

            command.CommandText = "select count(*) from orders where id < @max";
            command.Parameters[0].Value = 10_000;
            results.Add(await ScalarAsync(command));
            command.CommandText = "update orders set note = note where id < @max";
            command.Parameters[0].Value = 4;
            results.Add(await NonQueryAsync(command));
            results.Add(command.Parameters.Count);
            return results;
        });
        Outcome.Describe(outcome).ShouldBe("[[\"[Int32:1]\", \"[Int32:2]\"], [\"[Int32:1]\", \"[Int32:2]\", \"[Int32:3]\", \"[Int32:4]\"], Int64:5, Int32:3, Int32:1]");
    }

    [Test]
    public async Task Re_executing_a_command_while_its_reader_is_open_fails_as_on_Npgsql()
    {
        var outcome = await SameAsync(async side =>
        {
            var command = Command(side.Connection, Ids);
            var reader = await ReaderAsync(command);
            var first = await ReadAsync(reader) ? reader.GetInt32(0) : -1;
            var again = InProgress(await Outcome.OfAsync(() => ReaderAsync(command)));
            var rest = await RowsAsync(reader);
            await DisposeAsync(reader);
            var afterwards = await Outcome.OfAsync(() => ScalarAsync(command));
            return (first, again, rest.Count, afterwards, await TenantSeenAsync(side.Connection));
        });
        outcome.again.ShouldStartWith("error Npgsql.NpgsqlOperationInProgressException");
        outcome.afterwards.ShouldBe("value Int32:1");
    }

    [Test]
    public async Task A_second_command_while_a_reader_is_open_fails_as_on_Npgsql()
    {
        var outcome = await SameAsync(async side =>
        {
            var command = Command(side.Connection, Ids);
            var reader = await ReaderAsync(command);
            await ReadAsync(reader);
            var other = InProgress(await Outcome.OfAsync(() => ScalarAsync(Command(side.Connection, "select 2"))));
            var rest = await RowsAsync(reader);
            await DisposeAsync(reader);
            return (other, rest.Count, await TenantSeenAsync(side.Connection));
        });
        outcome.other.ShouldStartWith("error Npgsql.NpgsqlOperationInProgressException");
        outcome.Item2.ShouldBe(4);
    }

    // Npgsql's "already in progress" message ends with the running command's text. A tenant connection runs the caller's
    // statement as a batch command, and Npgsql prints an empty text for a batch: the one documented difference, which
    // keeps the library's own SQL out of the message. Type and the rest of the message must match.
    private static string InProgress(string outcome)
    {
        const string Marker = "A command is already in progress:";
        var at = outcome.IndexOf(Marker, StringComparison.Ordinal);
        return at < 0 ? outcome : outcome[..(at + Marker.Length)];
    }

    // Npgsql's NextResult skips the results of statements that return no rows (the update and the delete).
    [Test]
    public async Task Every_result_of_a_multi_statement_text_is_read_with_its_records_affected()
    {
        const string sql = """
            select id from orders where id < 3 order by id;
            update orders set note = note where id in (1, 2, 101);
            select count(*) from orders where id < 10000;
            select 'x' where false;
            delete from orders where id = -1
            """;
        var outcome = await SameAsync(async side =>
        {
            await using var reader = await ReaderAsync(Command(side.Connection, sql));
            var hasRows = reader.HasRows;
            var (results, affected) = await AllResultsAsync(reader);
            return (hasRows, results, affected, await NextResultAsync(reader));
        });
        Outcome.Describe(outcome).ShouldBe("(Boolean:True, [\"1 fields: [Int32:1] [Int32:2]\", \"1 fields: [Int64:5]\", \"1 fields: \"], Int32:2, Boolean:False)");
    }

    [Test]
    public async Task ExecuteNonQuery_and_ExecuteScalar_give_the_same_counts_and_values()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var a = side.NewId();
            var b = side.NewId();
            return new object?[]
            {
                await NonQueryAsync(Command(c, "insert into orders (id, total) values (@a, 1), (@b, 2)", ("a", a), ("b", b))),
                await NonQueryAsync(Command(c, "update orders set total = total + 1 where id in (@a, @b, 101)", ("a", a), ("b", b))),
                await NonQueryAsync(Command(c, "select id from orders")),
                await NonQueryAsync(Command(c, "update orders set note = 'x' where id = @a; update orders set note = 'y' where id in (@a, @b)", ("a", a), ("b", b))),
                await ScalarAsync(Command(c, "update orders set note = 'z' where id = @a returning total", ("a", a))),
                await ScalarAsync(Command(c, "select note from orders where id = 3")),
                await ScalarAsync(Command(c, "select note from orders where id = 101")),
                await NonQueryAsync(Command(c, "delete from orders where id in (@a, @b)", ("a", a), ("b", b))),
            };
        });
        Outcome.Describe(outcome).ShouldBe("[Int32:2, Int32:2, Int32:-1, Int32:3, Decimal:2.00, DBNull, null, Int32:2]");
    }
}
