using System.Data;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Parity;

/// <summary>Dapper's query entry points, buffered and unbuffered, give on a tenant connection what they give on Npgsql.</summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Session)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Session)]
public sealed class DapperQueryParityTests(SyncOrAsync mode, TenantContextScope scope) : ParityFixture(mode, scope)
{
    private const string Ordered = Seed + " order by id";

    // A Type known only at run time, as code that maps by reflection has it.
    private static readonly Type RuntimeType = typeof(Order);

    [Test]
    public async Task A_buffered_query_returns_the_same_rows()
    {
        var rows = await SameAsync(async side => (Async ? await side.Connection.QueryAsync<Order>(Ordered) : side.Connection.Query<Order>(Ordered)).ToList());
        rows.Select(o => o.Id).ShouldBe([1, 2, 3, 4, 5]);
    }

    [Test]
    public async Task An_unbuffered_query_returns_the_same_rows()
    {
        var ids = await SameAsync(async side =>
        {
            var list = new List<int>();
            if (Async)
            {
                await foreach (var order in side.Connection.QueryUnbufferedAsync<Order>(Ordered))
                {
                    list.Add(order.Id);
                }
            }
            else
            {
                list.AddRange(side.Connection.Query<Order>(Ordered, buffered: false).Select(o => o.Id));
            }

            return list;
        });
        ids.ShouldBe([1, 2, 3, 4, 5]);
    }

    [Test]
    public async Task A_query_with_CommandFlags_None_streams_the_same_rows()
    {
        var ids = await SameAsync(async side =>
        {
            var definition = new CommandDefinition(Ordered, flags: CommandFlags.None);
            var rows = Async ? await side.Connection.QueryAsync<Order>(definition) : side.Connection.Query<Order>(definition);
            return rows.Select(o => o.Id).ToList();
        });
        ids.ShouldBe([1, 2, 3, 4, 5]);
    }

    [Test]
    public async Task An_unbuffered_query_on_a_closed_connection_opens_it_reads_and_closes_it()
    {
        var outcome = await SameAsync(async side =>
        {
            var connection = side.Connection;
            await connection.CloseAsync();
            var rows = Async
                ? await connection.QueryAsync<Order>(new CommandDefinition(Ordered, flags: CommandFlags.None))
                : connection.Query<Order>(Ordered, buffered: false);
            var ids = rows.Select(o => o.Id).ToList();
            var stateAfter = connection.State;
            var again = Async ? (await connection.QueryAsync<Order>(Ordered)).Count() : connection.Query<Order>(Ordered).Count();
            return (ids, stateAfter, again, connection.State);
        });
        Outcome.Describe(outcome).ShouldBe("([Int32:1, Int32:2, Int32:3, Int32:4, Int32:5], ConnectionState:Closed, Int32:5, ConnectionState:Closed)");
    }

    [Test]
    public async Task QueryUnbufferedAsync_on_a_closed_connection_opens_it_reads_and_closes_it()
    {
        var outcome = await SameAsync(async side =>
        {
            var connection = side.Connection;
            await connection.CloseAsync();
            var ids = new List<int>();
            if (Async)
            {
                await foreach (var row in connection.QueryUnbufferedAsync(Ordered))
                {
                    ids.Add((int)row.id);
                }
            }
            else
            {
                ids.AddRange(connection.Query(Ordered, buffered: false).Select(row => (int)row.id));
            }

            return (Ids: string.Join(",", ids), connection.State);
        });
        outcome.ShouldBe(("1,2,3,4,5", ConnectionState.Closed));
    }

    [Test]
    public async Task Queries_after_an_unbuffered_query_see_the_same_rows()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var streamed = Async
                ? (await c.QueryAsync<Order>(new CommandDefinition(Ordered, flags: CommandFlags.None))).Select(o => o.Id).ToList()
                : c.Query<Order>(Ordered, buffered: false).Select(o => o.Id).ToList();
            var buffered = (Async ? await c.QueryAsync<int>("select id from orders where id < 10000 order by id desc") : c.Query<int>("select id from orders where id < 10000 order by id desc")).ToList();
            var firstTwo = Async
                ? (await c.QueryAsync<int>(new CommandDefinition("select id from orders order by id", flags: CommandFlags.None))).Take(2).ToList()
                : c.Query<int>("select id from orders order by id", buffered: false).Take(2).ToList();
            var count = Async ? await c.ExecuteScalarAsync<long>("select count(*) from orders where id < 10000") : c.ExecuteScalar<long>("select count(*) from orders where id < 10000");
            var setting = Async ? await c.ExecuteScalarAsync<string>("select current_setting('dapper_tenants.tenant', true)") : c.ExecuteScalar<string>("select current_setting('dapper_tenants.tenant', true)");
            return (streamed, buffered, firstTwo, count, setting);
        });
        outcome.setting.ShouldBe(Acme);
        outcome.count.ShouldBe(5);
        outcome.firstTwo.ShouldBe([1, 2]);
    }

    [Test]
    public async Task QueryFirst_QuerySingle_and_their_OrDefault_forms_give_the_same_rows_and_errors()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            return new[]
            {
                await Outcome.OfAsync(async () => Async ? await c.QueryFirstAsync<Order>(Ordered + " desc") : c.QueryFirst<Order>(Ordered + " desc")),
                await Outcome.OfAsync(async () => Async ? await c.QueryFirstOrDefaultAsync<Order>(Seed + " and id = 101") : c.QueryFirstOrDefault<Order>(Seed + " and id = 101")),
                await Outcome.OfAsync(async () => Async ? await c.QuerySingleAsync<Order>(Seed + " and id = 3") : c.QuerySingle<Order>(Seed + " and id = 3")),
                await Outcome.OfAsync(async () => Async ? await c.QuerySingleOrDefaultAsync<Order>(Seed + " and id = 4") : c.QuerySingleOrDefault<Order>(Seed + " and id = 4")),
                await Outcome.OfAsync(async () => Async ? await c.QueryFirstAsync<Order>(Seed + " and id = 101") : c.QueryFirst<Order>(Seed + " and id = 101")),
                await Outcome.OfAsync(async () => Async ? await c.QuerySingleAsync<Order>(Seed) : c.QuerySingle<Order>(Seed)),
                await Outcome.OfAsync(async () => Async ? await c.QuerySingleOrDefaultAsync<Order>(Seed) : c.QuerySingleOrDefault<Order>(Seed)),
                await Outcome.OfAsync(async () => Async ? await c.QuerySingleAsync<int>("select id from orders where id < 10000 and id > 4; select 99") : c.QuerySingle<int>("select id from orders where id < 10000 and id > 4; select 99")),
            };
        });
        outcome[0].ShouldStartWith("value Order { Id = 5");
        outcome[1].ShouldBe("value null");
        outcome[4].ShouldBe("error System.InvalidOperationException: Sequence contains no elements");
        outcome[5].ShouldBe("error System.InvalidOperationException: Sequence contains more than one element");
        outcome[7].ShouldBe("value Int32:5");
    }

    [Test]
    public async Task QueryFirst_and_QuerySingle_of_dynamic_give_the_same_row()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var first = Async ? await c.QueryFirstAsync<dynamic>(Ordered) : c.QueryFirst<dynamic>(Ordered);
            var firstUntyped = Async ? await c.QueryFirstAsync(Ordered + " desc") : c.QueryFirst(Ordered + " desc");
            var single = Async ? await c.QuerySingleOrDefaultAsync(Seed + " and id = 3") : c.QuerySingleOrDefault(Seed + " and id = 3");
            var none = Async ? await c.QueryFirstOrDefaultAsync(Seed + " and id = 101") : c.QueryFirstOrDefault(Seed + " and id = 101");
            return Outcome.Describe(new object?[] { first, firstUntyped, single, none });
        });
        outcome.ShouldBe("[{id=Int32:1, tenant=\"acme\", total=Decimal:10.00, note=\"a1\"}, {id=Int32:5, tenant=\"acme\", total=Decimal:50.00, note=\"a5\"}, "
            + "{id=Int32:3, tenant=\"acme\", total=Decimal:30.00, note=null}, null]");
    }

    [Test]
    public async Task A_dynamic_query_returns_the_same_rows()
    {
        var outcome = await SameAsync(async side =>
        {
            var rows = Async ? await side.Connection.QueryAsync(Ordered) : side.Connection.Query(Ordered);
            return Outcome.Describe(rows.Cast<IDictionary<string, object?>>().ToList());
        });
        outcome.ShouldStartWith("[{id=Int32:1, tenant=\"acme\"");
    }

    [Test]
    public async Task A_query_for_a_runtime_Type_returns_the_same_rows()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var type = RuntimeType;
            var all = Async ? await c.QueryAsync(type, Ordered) : c.Query(type, Ordered);
            var first = Async ? await c.QueryFirstAsync(type, Ordered + " desc") : c.QueryFirst(type, Ordered + " desc");
            var single = Async ? await c.QuerySingleOrDefaultAsync(type, Seed + " and id = 101") : c.QuerySingleOrDefault(type, Seed + " and id = 101");
            return (all.Cast<Order>().Select(o => o.Id).ToList(), ((Order)first).Id, single);
        });
        outcome.Item1.ShouldBe([1, 2, 3, 4, 5]);
        outcome.Item2.ShouldBe(5);
    }

    [Test]
    public async Task Multi_mapping_with_three_types_and_splitOn_gives_the_same_objects()
    {
        const string sql = """
            select a.id, a.tenant, a.total, a.note, b.id, b.tenant, b.total, b.note, c.id, c.tenant, c.total, c.note
            from orders a join orders b on b.id = a.id + 1 join orders c on c.id = a.id + 2 where a.id < 10000 order by a.id
            """;
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            static string Map(Order a, Order b, Order x) => $"{a.Id}-{b.Id}-{x.Id}";
            var typed = Async ? await c.QueryAsync<Order, Order, Order, string>(sql, Map, splitOn: "id") : c.Query<Order, Order, Order, string>(sql, Map, splitOn: "id");
            Type[] types = [typeof(Order), typeof(Order), typeof(Order)];
            var untyped = Async
                ? await c.QueryAsync(sql, types, o => Map((Order)o[0], (Order)o[1], (Order)o[2]), splitOn: "id")
                : c.Query(sql, types, o => Map((Order)o[0], (Order)o[1], (Order)o[2]), splitOn: "id");
            const string withCount = "select id, tenant, total, note, count(*) over () as n, 'x' as tag from orders where id < 10000 order by id";
            var withDynamic = Async
                ? await c.QueryAsync<Order, dynamic, string>(withCount, (o, d) => $"{o.Id}/{d.n}/{d.tag}", splitOn: "n")
                : c.Query<Order, dynamic, string>(withCount, (o, d) => $"{o.Id}/{d.n}/{d.tag}", splitOn: "n");
            return (typed.ToList(), untyped.ToList(), withDynamic.ToList());
        });
        outcome.Item1.ShouldBe(["1-2-3", "2-3-4", "3-4-5"]);
        outcome.Item2.ShouldBe(outcome.Item1);
        outcome.Item3.ShouldBe(["1/5/x", "2/5/x", "3/5/x", "4/5/x", "5/5/x"]);
    }

    [Test]
    public async Task ExecuteScalar_gives_the_same_value_and_type()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            return new[]
            {
                Async ? await c.ExecuteScalarAsync("select count(*) from orders where id < 10000") : c.ExecuteScalar("select count(*) from orders where id < 10000"),
                Async ? await c.ExecuteScalarAsync<int>("select total from orders where id = 2") : c.ExecuteScalar<int>("select total from orders where id = 2"),
                Async ? await c.ExecuteScalarAsync("select note from orders where id = 101") : c.ExecuteScalar("select note from orders where id = 101"),
                Async ? await c.ExecuteScalarAsync("select note from orders where id = 3") : c.ExecuteScalar("select note from orders where id = 3"),
                Async ? await c.ExecuteScalarAsync("update orders set note = note where id = 1") : c.ExecuteScalar("update orders set note = note where id = 1"),
                Async ? await c.ExecuteScalarAsync("select id from orders where id < 10000 and id > 3 order by id; select 99") : c.ExecuteScalar("select id from orders where id < 10000 and id > 3 order by id; select 99"),
            };
        });
        Outcome.Describe(outcome).ShouldBe("[Int64:5, Int32:20, null, null, null, Int32:4]");
    }
}
