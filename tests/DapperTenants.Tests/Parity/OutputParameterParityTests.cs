using System.Data;
using System.Data.Common;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Parity;

/// <summary>
/// Output, InputOutput and ReturnValue parameters are filled as Npgsql fills them, on a statement outside a
/// transaction, on the first statement of a transaction and on a later one.
/// </summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Session)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Session)]
public sealed class OutputParameterParityTests(SyncOrAsync mode, TenantContextScope scope) : ParityFixture(mode, scope)
{
    /// <summary>Where the statement with the output parameter runs.</summary>
    public enum Position
    {
        OutsideATransaction,
        FirstInATransaction,
        LaterInATransaction,
    }

    [TestCase(Position.OutsideATransaction)]
    [TestCase(Position.FirstInATransaction)]
    [TestCase(Position.LaterInATransaction)]
    public async Task A_Dapper_Output_parameter_is_filled_from_its_column(Position position)
    {
        var outcome = await SameAsync(side => AtAsync(side, position, async (c, t) =>
        {
            var p = new DynamicParameters();
            p.Add("x", dbType: DbType.Int32, direction: ParameterDirection.Output);
            var affected = Async ? await c.ExecuteAsync("select 42 as x", p, t) : c.Execute("select 42 as x", p, t);
            return (affected, p.Get<int?>("x"));
        }));
        outcome.ShouldBe((-1, (int?)42));
    }

    [TestCase(Position.OutsideATransaction)]
    [TestCase(Position.FirstInATransaction)]
    [TestCase(Position.LaterInATransaction)]
    public async Task A_Dapper_InputOutput_parameter_is_sent_and_filled(Position position)
    {
        var outcome = await SameAsync(side => AtAsync(side, position, async (c, t) =>
        {
            var p = new DynamicParameters();
            p.Add("x", 41, DbType.Int32, ParameterDirection.InputOutput);
            p.Add("n", dbType: DbType.Int64, direction: ParameterDirection.Output);
            const string sql = "select @x + 1 as x, count(*) as n from orders where id < 10000";
            _ = Async ? await c.ExecuteAsync(sql, p, t) : c.Execute(sql, p, t);
            return (p.Get<int>("x"), p.Get<long>("n"));
        }));
        outcome.ShouldBe((42, 5L));
    }

    [TestCase(Position.OutsideATransaction)]
    [TestCase(Position.FirstInATransaction)]
    [TestCase(Position.LaterInATransaction)]
    public async Task An_Output_parameter_of_a_Dapper_query_is_filled_after_the_rows_are_read(Position position)
    {
        var outcome = await SameAsync(side => AtAsync(side, position, async (c, t) =>
        {
            var p = new DynamicParameters();
            p.Add("total", dbType: DbType.Decimal, direction: ParameterDirection.Output);
            const string sql = "select total from orders where id < 10000 order by id desc";
            var rows = (Async ? await c.QueryAsync<decimal>(sql, p, t) : c.Query<decimal>(sql, p, t)).ToList();
            return (rows.Count, p.Get<decimal?>("total"));
        }));
        outcome.ShouldBe((5, (decimal?)50.00m));
    }

    // Npgsql fills Output and InputOutput parameters from the first row (by name, then unmatched columns in order),
    // and leaves a ReturnValue parameter of a text command untouched (DBNull).
    [TestCase(Position.OutsideATransaction)]
    [TestCase(Position.FirstInATransaction)]
    [TestCase(Position.LaterInATransaction)]
    public async Task ADO_NET_Output_InputOutput_and_ReturnValue_parameters_are_filled_as_Npgsql_fills_them(Position position)
    {
        var outcome = await SameAsync(side => AtAsync(side, position, async (c, t) =>
        {
            var command = Command(c, "select 42 as x, @y * 2 as y, 'seven' as unmatched, count(*) as n from orders where id < 10000");
            command.Transaction = t;
            var x = Parameter(command, "x", null, ParameterDirection.Output, DbType.Int32);
            var y = Parameter(command, "y", 21, ParameterDirection.InputOutput, DbType.Int32);
            var ret = Parameter(command, "ret", null, ParameterDirection.ReturnValue);
            var input = Parameter(command, "unused", 1);
            await using var reader = await ReaderAsync(command);
            var beforeRead = (x.Value, y.Value, ret.Value);
            var rows = await RowsAsync(reader);
            await CloseAsync(reader);
            return (beforeRead, rows, x.Value, y.Value, ret.Value, input.Value);
        }));
        Outcome.Describe(outcome).ShouldBe(
            "((Int32:42, Int32:42, DBNull), [\"[Int32:42, Int32:42, \"seven\", Int64:5]\"], Int32:42, Int32:42, DBNull, Int32:1)");
    }

    [TestCase(Position.OutsideATransaction)]
    [TestCase(Position.FirstInATransaction)]
    [TestCase(Position.LaterInATransaction)]
    public async Task An_INOUT_procedure_parameter_is_filled_through_CALL_text_and_under_the_tenant(Position position)
    {
        var outcome = await SameAsync(side => AtAsync(side, position, async (c, t) =>
        {
            async Task<object?> TotalOf(int id)
            {
                var command = Command(c, "call order_total(@p_id, @p_total)", ("p_id", id));
                command.Transaction = t;
                var total = Parameter(command, "p_total", null, ParameterDirection.InputOutput, DbType.Decimal);
                await NonQueryAsync(command);
                return total.Value;
            }

            return (await TotalOf(2), await TotalOf(101));
        }));
        Outcome.Describe(outcome).ShouldBe("(Decimal:20.00, DBNull)");
    }

    [TestCase(Position.OutsideATransaction)]
    [TestCase(Position.FirstInATransaction)]
    [TestCase(Position.LaterInATransaction)]
    public async Task An_INOUT_parameter_of_a_StoredProcedure_command_is_filled_under_the_tenant(Position position)
    {
        var outcome = await SameAsync(side => AtAsync(side, position, async (c, t) =>
        {
            var mine = new DynamicParameters(new { p_id = 2 });
            mine.Add("p_total", dbType: DbType.Decimal, direction: ParameterDirection.InputOutput);
            var foreign = new DynamicParameters(new { p_id = 101 });
            foreign.Add("p_total", dbType: DbType.Decimal, direction: ParameterDirection.InputOutput);
            foreach (var p in new[] { mine, foreign })
            {
                _ = Async ? await c.ExecuteAsync("order_total", p, t, commandType: CommandType.StoredProcedure) : c.Execute("order_total", p, t, commandType: CommandType.StoredProcedure);
            }

            return (mine.Get<decimal?>("p_total"), foreign.Get<decimal?>("p_total"));
        }));
        outcome.ShouldBe(((decimal?)20.00m, (decimal?)null));
    }

    [TestCase(Position.OutsideATransaction)]
    [TestCase(Position.LaterInATransaction)]
    public async Task An_Output_parameter_on_a_text_of_several_statements_is_refused_as_Npgsql_refuses_it(Position position)
    {
        var outcome = await SameAsync(side => AtAsync(side, position, async (c, t) =>
        {
            var p = new DynamicParameters();
            p.Add("x", dbType: DbType.Int32, direction: ParameterDirection.Output);
            var error = await Outcome.OfAsync(async () => Async ? await c.ExecuteAsync("select 1; select 42 as x", p, t) : c.Execute("select 1; select 42 as x", p, t));
            return (error, await TenantSeenAsync(c, t));
        }));
        outcome.error.ShouldBe("error System.NotSupportedException: Commands with multiple queries cannot have out parameters");
    }

    /// <summary>Runs <paramref name="call"/> at <paramref name="position"/>, committing the transaction afterwards.</summary>
    private async Task<T> AtAsync<T>(ParitySide side, Position position, Func<DbConnection, DbTransaction?, Task<T>> call)
    {
        var connection = side.Connection;
        if (position == Position.OutsideATransaction)
        {
            return await call(connection, null);
        }

        await using var transaction = await BeginAsync(connection);
        if (position == Position.LaterInATransaction)
        {
            _ = Async ? await connection.ExecuteScalarAsync<int>("select 1", transaction: transaction) : connection.ExecuteScalar<int>("select 1", transaction: transaction);
        }

        var result = await call(connection, transaction);
        await CommitAsync(transaction);
        return result;
    }
}
