using System.Data;
using System.Data.Common;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Parity;

/// <summary>Dapper's Execute*, ExecuteReader and QueryMultiple families give on a tenant connection what they give on Npgsql.</summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Session)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Session)]
public sealed class DapperExecuteParityTests(SyncOrAsync mode, TenantContextScope scope) : ParityFixture(mode, scope)
{
    private const string Three = "select id, tenant, total, note from orders where id < 10000 order by id; select count(*) from orders where id < 10000; select note from orders where id = @id";

    [Test]
    public async Task Execute_with_an_object_a_CommandDefinition_and_a_list_writes_and_counts_the_same()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var ids = Enumerable.Range(0, 4).Select(_ => side.NewId()).ToArray();
            const string insert = "insert into orders (id, total) values (@id, @total)";
            var one = Async ? await c.ExecuteAsync(insert, new { id = ids[0], total = 1m }) : c.Execute(insert, new { id = ids[0], total = 1m });
            var definition = new CommandDefinition(insert, new { id = ids[1], total = 2m });
            var two = Async ? await c.ExecuteAsync(definition) : c.Execute(definition);
            var rows = ids[2..].Select(id => new { id, total = 3m }).ToList();
            var many = Async ? await c.ExecuteAsync(insert, rows) : c.Execute(insert, rows);
            var update = new CommandDefinition("update orders set note = 'x' where id = any(@ids)", new { ids });
            var updated = Async ? await c.ExecuteAsync(update) : c.Execute(update);
            return (one, two, many, updated, await Task.WhenAll(ids.Select(StampAsync)));
        });
        Outcome.Describe(outcome).ShouldBe("(Int32:1, Int32:1, Int32:2, Int32:4, [\"acme\", \"acme\", \"acme\", \"acme\"])");
    }

    [Test]
    public async Task ExecuteScalar_with_a_CommandDefinition_gives_the_same_values()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var count = new CommandDefinition("select count(*) from orders where id < @max", new { max = 10_000 });
            return (
                Async ? await c.ExecuteScalarAsync(count) : c.ExecuteScalar(count),
                Async ? await c.ExecuteScalarAsync<decimal>(new CommandDefinition("select total from orders where id = 3")) : c.ExecuteScalar<decimal>(new CommandDefinition("select total from orders where id = 3")));
        });
        Outcome.Describe(outcome).ShouldBe("(Int64:5, Decimal:30.00)");
    }

    [Test]
    public async Task ExecuteReader_returns_a_reader_over_the_same_results()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var results = new List<object>();
            await using (var reader = Async ? await c.ExecuteReaderAsync(Three, new { id = 4 }) : (DbDataReader)c.ExecuteReader(Three, new { id = 4 }))
            {
                results.Add(await AllResultsAsync(reader));
            }

            await using (var reader = Async ? await c.ExecuteReaderAsync(new CommandDefinition(Three, new { id = 2 })) : (DbDataReader)c.ExecuteReader(new CommandDefinition(Three, new { id = 2 })))
            {
                results.Add(await AllResultsAsync(reader));
            }

            return results;
        });
        outcome.Count.ShouldBe(2);
    }

    [Test]
    public async Task QueryMultiple_reads_every_result_with_every_read_form()
    {
        var outcome = await SameAsync(async side =>
        {
            const string sql = Three + "; select id from orders where id < 10000 order by id; select 1 where false; select id, note from orders where id = 5; select id from orders where id < 10000 order by id";
            if (Async)
            {
                await using var grid = await side.Connection.QueryMultipleAsync(sql, new { id = 4 });
                return Outcome.Describe(new object?[]
                {
                    (await grid.ReadAsync<Order>()).Select(o => o.Id).ToList(), await grid.ReadSingleAsync<long>(), await grid.ReadFirstOrDefaultAsync<string>(),
                    await grid.ReadFirstAsync<int>(), await grid.ReadSingleOrDefaultAsync<int?>(), (IDictionary<string, object?>)await grid.ReadSingleAsync(),
                    (await grid.ReadAsync(typeof(int))).ToList(), grid.IsConsumed,
                });
            }

            using var syncGrid = side.Connection.QueryMultiple(sql, new { id = 4 });
            return Outcome.Describe(new object?[]
            {
                syncGrid.Read<Order>().Select(o => o.Id).ToList(), syncGrid.ReadSingle<long>(), syncGrid.ReadFirstOrDefault<string>(),
                syncGrid.ReadFirst<int>(), syncGrid.ReadSingleOrDefault<int?>(), (IDictionary<string, object?>)syncGrid.ReadSingle(),
                syncGrid.Read(typeof(int)).ToList(), syncGrid.IsConsumed,
            });
        });
        outcome.ShouldBe("[[Int32:1, Int32:2, Int32:3, Int32:4, Int32:5], Int64:5, \"a4\", Int32:1, null, {id=Int32:5, note=\"a5\"}, [Int32:1, Int32:2, Int32:3, Int32:4, Int32:5], Boolean:True]");
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    public async Task QueryMultiple_read_partially_then_disposed_leaves_the_connection_under_the_tenant(int resultsRead)
    {
        var outcome = await SameAsync(async side =>
        {
            var read = new List<object?>();
            if (Async)
            {
                await using var grid = await side.Connection.QueryMultipleAsync(Three, new { id = 4 });
                if (resultsRead > 0)
                {
                    read.Add((await grid.ReadAsync<Order>(buffered: resultsRead > 1)).First().Id);
                }

                if (resultsRead > 1)
                {
                    read.Add(await grid.ReadSingleAsync<long>());
                }
            }
            else
            {
                using var grid = side.Connection.QueryMultiple(Three, new { id = 4 });
                if (resultsRead > 0)
                {
                    read.Add(grid.Read<Order>(buffered: resultsRead > 1).First().Id);
                }

                if (resultsRead > 1)
                {
                    read.Add(grid.ReadSingle<long>());
                }
            }

            return (read, await TenantSeenAsync(side.Connection), side.Connection.State);
        });
        outcome.Item2.ShouldBe("5 rows, tenant acme");
    }

    [Test]
    public async Task QueryMultiple_streams_a_result_unbuffered_and_reads_the_next()
    {
        var outcome = await SameAsync(async side =>
        {
            var ids = new List<int>();
            if (Async)
            {
                await using var grid = await side.Connection.QueryMultipleAsync(Three, new { id = 4 });
                await foreach (var order in grid.ReadUnbufferedAsync<Order>())
                {
                    ids.Add(order.Id);
                }

                return (ids, await grid.ReadSingleAsync<long>(), await grid.ReadSingleAsync<string>());
            }

            using var syncGrid = side.Connection.QueryMultiple(Three, new { id = 4 });
            ids.AddRange(syncGrid.Read<Order>(buffered: false).Select(o => o.Id));
            return (ids, syncGrid.ReadSingle<long>(), syncGrid.ReadSingle<string>());
        });
        Outcome.Describe(outcome).ShouldBe("([Int32:1, Int32:2, Int32:3, Int32:4, Int32:5], Int64:5, \"a4\")");
    }

    [Test]
    public async Task QueryMultiple_on_a_closed_connection_opens_it_and_closes_it_when_disposed()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            await c.CloseAsync();
            long count;
            if (Async)
            {
                await using var grid = await c.QueryMultipleAsync(Three, new { id = 4 });
                await grid.ReadAsync<Order>();
                count = await grid.ReadSingleAsync<long>();
            }
            else
            {
                using var grid = c.QueryMultiple(Three, new { id = 4 });
                grid.Read<Order>();
                count = grid.ReadSingle<long>();
            }

            return (count, c.State);
        });
        outcome.ShouldBe((5L, ConnectionState.Closed));
    }

    // Npgsql runs one command at a time per connection: Dapper's pipelined Execute starts the second insert while the
    // first runs, and Npgsql refuses it. How many inserts landed before that depends on timing, so only the refusal
    // and the connection's state afterwards are compared.
    [Test]
    public async Task A_pipelined_Execute_of_a_list_is_refused_as_on_Npgsql()
    {
        var outcome = await SameAsync(async side =>
        {
            var ids = Enumerable.Range(0, 3).Select(_ => side.NewId()).ToArray();
            var definition = new CommandDefinition("insert into orders (id, total) values (@id, 1)", ids.Select(id => new { id }).ToList(), flags: CommandFlags.Pipelined);
            Exception? error = null;
            try
            {
                _ = Async ? await side.Connection.ExecuteAsync(definition) : side.Connection.Execute(definition);
            }
            catch (Exception e)
            {
                error = e is AggregateException { InnerException: { } inner } ? inner : e;
            }

            // Whether the pipeline collides depends on timing on both sides (on Npgsql too: a first command that completes
            // before the second starts leaves nothing to refuse), so only the kind of a refusal is compared.
            var refusal = error is null or Npgsql.NpgsqlOperationInProgressException ? "none or in progress" : error.GetType().FullName;
            return (refusal, await TenantSeenAsync(side.Connection));
        });
        outcome.ShouldBe(("none or in progress", "5 rows, tenant acme"));
    }
}
