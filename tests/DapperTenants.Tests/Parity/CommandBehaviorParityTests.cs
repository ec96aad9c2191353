using System.Data;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Parity;

/// <summary>Every <see cref="CommandBehavior"/> flag that changes what a reader shows acts on a tenant connection as on Npgsql.</summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Session)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Session)]
public sealed class CommandBehaviorParityTests(SyncOrAsync mode, TenantContextScope scope) : ParityFixture(mode, scope)
{
    private const string TwoResults = "select id from orders where id < 10000 order by id; select 'second'";

    private Task<string> ReadWithAsync(string sql, CommandBehavior behavior, params (string?, object?)[] parameters) => SameAsync(async side =>
    {
        await using var reader = await ReaderAsync(Command(side.Connection, sql, parameters), behavior);
        var (results, affected) = await AllResultsAsync(reader);
        await CloseAsync(reader);
        return $"{string.Join(" | ", results)}; affected {affected}; then {await TenantSeenAsync(side.Connection)}";
    });

    [Test]
    public async Task SingleResult_shows_only_the_first_result() =>
        (await ReadWithAsync(TwoResults, CommandBehavior.SingleResult)).ShouldBe("1 fields: [Int32:1] [Int32:2] [Int32:3] [Int32:4] [Int32:5]; affected -1; then 5 rows, tenant acme");

    [Test]
    public async Task SingleRow_shows_only_the_first_row() =>
        (await ReadWithAsync(TwoResults, CommandBehavior.SingleRow)).ShouldStartWith("1 fields: [Int32:1]");

    [Test]
    public async Task SingleRow_and_SingleResult_together_show_one_row_of_the_first_result() =>
        (await ReadWithAsync(TwoResults, CommandBehavior.SingleRow | CommandBehavior.SingleResult)).ShouldBe("1 fields: [Int32:1]; affected -1; then 5 rows, tenant acme");

    [Test]
    public async Task SchemaOnly_shows_the_columns_and_no_rows()
    {
        var outcome = await SameAsync(async side =>
        {
            await using var reader = await ReaderAsync(Command(side.Connection, "select id, tenant, total from orders where id < @max; select 1 as one", ("max", 10_000)), CommandBehavior.SchemaOnly);
            var columns = Enumerable.Range(0, reader.FieldCount).Select(i => $"{reader.GetName(i)}:{reader.GetDataTypeName(i)}").ToList();
            var (results, _) = await AllResultsAsync(reader);
            return (columns, results);
        });
        Outcome.Describe(outcome).ShouldBe("([\"id:integer\", \"tenant:text\", \"total:numeric(10, 2)\"], [\"3 fields: \", \"1 fields: \"])");
    }

    [Test]
    public async Task SchemaOnly_does_not_run_a_write()
    {
        var outcome = await SameAsync(async side =>
        {
            var id = side.NewId();
            await using (var reader = await ReaderAsync(Command(side.Connection, "insert into orders (id, total) values (@id, 1) returning id", ("id", id)), CommandBehavior.SchemaOnly))
            {
                await AllResultsAsync(reader);
            }

            return await StampAsync(id);
        });
        outcome.ShouldBeNull();
    }

    [Test]
    public async Task KeyInfo_reports_the_same_schema_table()
    {
        var outcome = await SameAsync(async side =>
        {
            await using var reader = await ReaderAsync(Command(side.Connection, "select id, tenant, total from orders where id < 10000"), CommandBehavior.KeyInfo);
            var schema = Async ? await reader.GetSchemaTableAsync() : reader.GetSchemaTable();
            var columns = schema!.Rows.Cast<DataRow>()
                .Select(r => $"{r["ColumnName"]} key={r["IsKey"]} unique={r["IsUnique"]} table={r["BaseTableName"]} nullable={r["AllowDBNull"]}")
                .ToList();
            return (columns, (await RowsAsync(reader)).Count);
        });
        outcome.columns[0].ShouldBe("id key=True unique=True table=orders nullable=False");
        outcome.Item2.ShouldBe(5);
    }

    [Test]
    public async Task SequentialAccess_reads_columns_in_order_and_refuses_going_back()
    {
        var outcome = await SameAsync(async side =>
        {
            await using var reader = await ReaderAsync(Command(side.Connection, "select id, tenant, note from orders where id = 2"), CommandBehavior.SequentialAccess);
            await ReadAsync(reader);
            var tenant = reader.GetString(1);
            var back = await Outcome.OfAsync(() => Task.FromResult(reader.GetInt32(0)));
            var note = Async ? await reader.GetFieldValueAsync<string>(2) : reader.GetFieldValue<string>(2);
            return (tenant, back, note, await ReadAsync(reader));
        });
        outcome.tenant.ShouldBe(Acme);
        outcome.back.ShouldStartWith("error System.InvalidOperationException");
        outcome.note.ShouldBe("a2");
    }

    [Test]
    public async Task CloseConnection_closes_the_connection_with_the_reader_and_a_reopened_connection_keeps_its_tenant()
    {
        var outcome = await SameAsync(async side =>
        {
            var connection = side.Connection;
            var reader = await ReaderAsync(Command(connection, "select id from orders where id < 10000 order by id"), CommandBehavior.CloseConnection);
            var rows = (await RowsAsync(reader)).Count;
            var stateWhileOpen = connection.State;
            await DisposeAsync(reader);
            var stateAfter = connection.State;
            if (Async)
            {
                await connection.OpenAsync();
            }
            else
            {
                connection.Open();
            }

            return (rows, stateWhileOpen, stateAfter, await TenantSeenAsync(connection));
        });
        outcome.ShouldBe((5, ConnectionState.Open, ConnectionState.Closed, "5 rows, tenant acme"));
    }

    // Dapper drops SingleResult from the behaviours it passes on (its AllowedCommandBehaviors), on both sides.
    [Test]
    public async Task Dapper_ExecuteReader_with_a_CommandBehavior_reads_the_same_rows()
    {
        var outcome = await SameAsync(async side =>
        {
            var definition = new CommandDefinition(TwoResults);
            await using var reader = Async
                ? await side.Connection.ExecuteReaderAsync(definition, CommandBehavior.SingleResult)
                : (System.Data.Common.DbDataReader)side.Connection.ExecuteReader(definition, CommandBehavior.SingleResult);
            return await AllResultsAsync(reader);
        });
        outcome.Results.Count.ShouldBe(2);
    }
}
