using System.Data;
using System.Data.Common;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Connections;

/// <summary>
/// Every Dapper entry point behaves on a <see cref="TenantConnection"/> exactly as on a plain Npgsql connection whose
/// session has the tenant set by hand (same login, same policies): same rows, counts, errors and parameter handling.
/// </summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync)]
[TestFixture(SyncOrAsync.Async)]
public class DapperSurfaceTests(SyncOrAsync mode)
{
    private const string Seed = "select id, tenant, total, note from orders where id < 10000";
    private OrdersDatabase _db = null!;
    private TenantDataSource _tenants = null!;

    private bool Async => mode == SyncOrAsync.Async;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await OrdersDatabase.CreateAsync("dapper");
        _tenants = _db.CreateTenants();
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await _tenants.DisposeAsync();
        await _db.DisposeAsync();
    }

    /// <summary>Runs <paramref name="call"/> on a tenant connection and on the reference, and returns both results.</summary>
    private async Task<(T Tenant, T Reference)> BothAsync<T>(Func<DbConnection, Task<T>> call, string tenant = OrdersDatabase.Acme)
    {
        await using var connection = Async ? await _tenants.OpenAsync(tenant) : _tenants.Open(tenant);
        await using var reference = await _db.OpenReferenceAsync(tenant);
        return (await call(connection), await call(reference));
    }

    private async Task<T> SameAsync<T>(Func<DbConnection, Task<T>> call, string tenant = OrdersDatabase.Acme)
    {
        var (ours, theirs) = await BothAsync(call, tenant);
        ours.ShouldBeEquivalentTo(theirs);
        return ours;
    }

    [Test]
    public async Task Query_returns_the_same_rows()
    {
        var rows = await SameAsync(async c => (Async ? await c.QueryAsync<Order>(Seed + " order by id") : c.Query<Order>(Seed + " order by id")).ToList());
        rows.Select(r => r.Id).ShouldBe([1, 2, 3, 4, 5]);
    }

    [Test]
    public async Task Unbuffered_query_returns_the_same_rows()
    {
        var rows = await SameAsync(async c =>
        {
            var list = new List<int>();
            if (Async)
            {
                await foreach (var order in c.QueryUnbufferedAsync<Order>(Seed + " order by id"))
                {
                    list.Add(order.Id);
                }
            }
            else
            {
                list.AddRange(c.Query<Order>(Seed + " order by id", buffered: false).Select(o => o.Id));
            }

            return list;
        });
        rows.ShouldBe([1, 2, 3, 4, 5]);
    }

    [Test]
    public async Task QueryFirst_and_QueryFirstOrDefault_see_the_callers_rows_despite_SingleRow()
    {
        (await SameAsync(async c => Async ? await c.QueryFirstAsync<Order>(Seed + " order by id desc") : c.QueryFirst<Order>(Seed + " order by id desc"))).Id.ShouldBe(5);
        (await SameAsync(async c => Async ? await c.QueryFirstOrDefaultAsync<Order>(Seed + " and id = 2") : c.QueryFirstOrDefault<Order>(Seed + " and id = 2")))!.Id.ShouldBe(2);
        (await SameAsync(async c => Async ? await c.QueryFirstOrDefaultAsync<Order>(Seed + " and id = 101") : c.QueryFirstOrDefault<Order>(Seed + " and id = 101"))).ShouldBeNull();
    }

    [Test]
    public async Task QuerySingle_and_QuerySingleOrDefault_behave_the_same()
    {
        (await SameAsync(async c => Async ? await c.QuerySingleAsync<Order>(Seed + " and id = 3") : c.QuerySingle<Order>(Seed + " and id = 3"))).Note.ShouldBeNull();
        (await SameAsync(async c => Async ? await c.QuerySingleOrDefaultAsync<Order>(Seed + " and id = 101") : c.QuerySingleOrDefault<Order>(Seed + " and id = 101"))).ShouldBeNull();

        await using var connection = Async ? await _tenants.OpenAsync(OrdersDatabase.Acme) : _tenants.Open(OrdersDatabase.Acme);
        await Should.ThrowAsync<InvalidOperationException>(async () => _ = Async ? await connection.QuerySingleAsync<Order>(Seed) : connection.QuerySingle<Order>(Seed));
        await Should.ThrowAsync<InvalidOperationException>(async () => _ = Async ? await connection.QueryFirstAsync<Order>(Seed + " and id = 101") : connection.QueryFirst<Order>(Seed + " and id = 101"));
    }

    [Test]
    public async Task QueryMultiple_over_a_multi_statement_text_reads_every_result()
    {
        var sql = Seed + " order by id; select count(*) from orders where id < 10000; select note from orders where id = @id";
        var (result, reference) = await BothAsync(async c =>
        {
            if (Async)
            {
                await using var grid = await c.QueryMultipleAsync(sql, new { id = 4 });
                return ((await grid.ReadAsync<Order>()).Select(o => o.Id).ToList(), await grid.ReadSingleAsync<long>(), await grid.ReadSingleOrDefaultAsync<string>());
            }

            using var syncGrid = c.QueryMultiple(sql, new { id = 4 });
            return (syncGrid.Read<Order>().Select(o => o.Id).ToList(), syncGrid.ReadSingle<long>(), syncGrid.ReadSingleOrDefault<string>());
        });
        result.Item1.ShouldBe(reference.Item1);
        (result.Item2, result.Item3).ShouldBe((reference.Item2, reference.Item3));
        result.Item1.ShouldBe([1, 2, 3, 4, 5]);
        result.Item2.ShouldBe(5);
        result.Item3.ShouldBe("a4");
    }

    [Test]
    public async Task Execute_returns_the_same_rows_affected_count()
    {
        var count = await SameAsync(async c => Async
            ? await c.ExecuteAsync("update orders set note = note where id < 10000")
            : c.Execute("update orders set note = note where id < 10000"));
        count.ShouldBe(5);
        (await SameAsync(async c => Async ? await c.ExecuteAsync("update orders set note = note where id = 101") : c.Execute("update orders set note = note where id = 101"))).ShouldBe(0);
        (await SameAsync(async c => Async ? await c.ExecuteAsync("select 1") : c.Execute("select 1"))).ShouldBe(-1);
    }

    [Test]
    public async Task Execute_with_a_list_of_parameter_objects_runs_each_under_the_tenant()
    {
        var ids = Enumerable.Range(0, 6).Select(_ => _db.NextId()).ToArray();
        var (ours, theirs) = await BothAsync(async c =>
        {
            var batch = c is TenantConnection ? ids[..3] : ids[3..];
            var rows = batch.Select(id => new { id, total = 1.5m }).ToList();
            return Async ? await c.ExecuteAsync("insert into orders (id, total) values (@id, @total)", rows) : c.Execute("insert into orders (id, total) values (@id, @total)", rows);
        });
        ours.ShouldBe(3);
        theirs.ShouldBe(3);
        (await _db.AllOrdersAsync()).Where(o => ids.Contains(o.Id)).ShouldAllBe(o => o.Tenant == OrdersDatabase.Acme);
    }

    [Test]
    public async Task ExecuteScalar_returns_the_callers_value_not_the_tenant_setting()
    {
        (await SameAsync(async c => Async ? await c.ExecuteScalarAsync<long>("select count(*) from orders where id < 10000") : c.ExecuteScalar<long>("select count(*) from orders where id < 10000"))).ShouldBe(5);
        (await SameAsync(async c => Async ? await c.ExecuteScalarAsync<string>("select note from orders where id = 101") : c.ExecuteScalar<string>("select note from orders where id = 101"))).ShouldBeNull();
        (await SameAsync(async c => Async ? await c.ExecuteScalarAsync<long>("select order_count()") : c.ExecuteScalar<long>("select order_count()"))).ShouldBeGreaterThanOrEqualTo(5);
    }

    [Test]
    public async Task ExecuteReader_starts_at_the_callers_result()
    {
        var (names, reference) = await BothAsync(async c =>
        {
            var ids = new List<int>();
            if (Async)
            {
                await using var reader = await c.ExecuteReaderAsync(Seed + " order by id");
                while (await reader.ReadAsync())
                {
                    ids.Add(reader.GetInt32(0));
                }

                return (reader.GetName(1), ids);
            }

            using var syncReader = c.ExecuteReader(Seed + " order by id");
            while (syncReader.Read())
            {
                ids.Add(syncReader.GetInt32(0));
            }

            return (syncReader.GetName(1), ids);
        });
        names.Item1.ShouldBe(reference.Item1);
        names.Item2.ShouldBe(reference.Item2);
        names.Item1.ShouldBe("tenant");
        names.Item2.ShouldBe([1, 2, 3, 4, 5]);
    }

    [Test]
    public async Task CommandDefinition_honours_its_timeout_and_the_connection_keeps_its_tenant()
    {
        // The lease goes on after the timeout only if the server's answer to Npgsql's cancel request arrives; wait for it
        // however long a loaded machine takes (Cancellation Timeout=0), or Npgsql breaks the connection after 2 s.
        await using var patient = _db.CreateTenants(b => b.CancellationTimeout = 0);
        await using var connection = Async ? await patient.OpenAsync(OrdersDatabase.Acme) : patient.Open(OrdersDatabase.Acme);
        var definition = new CommandDefinition("select pg_sleep(30)", commandTimeout: 1);
        var error = await Should.ThrowAsync<NpgsqlException>(async () => _ = Async ? await connection.ExecuteAsync(definition) : connection.Execute(definition));
        error.InnerException.ShouldBeOfType<TimeoutException>();
        var rows = Async ? await connection.QueryAsync<Order>(Seed) : connection.Query<Order>(Seed);
        rows.Select(o => o.Tenant).Distinct().ShouldBe([OrdersDatabase.Acme]);
    }

    [Test]
    public async Task Explicit_transactions_passed_to_Dapper_commit_and_roll_back()
    {
        var kept = _db.NextId();
        var undone = _db.NextId();
        await using var connection = Async ? await _tenants.OpenAsync(OrdersDatabase.Acme) : _tenants.Open(OrdersDatabase.Acme);
        await using (var transaction = Async ? await connection.BeginTransactionAsync() : connection.BeginTransaction())
        {
            (Async ? await connection.ExecuteAsync("insert into orders (id, total) values (@kept, 1)", new { kept }, transaction) : connection.Execute("insert into orders (id, total) values (@kept, 1)", new { kept }, transaction)).ShouldBe(1);
            (Async ? await connection.QueryAsync<Order>(Seed, transaction: transaction) : connection.Query<Order>(Seed, transaction: transaction)).Count().ShouldBe(5);
            if (Async)
            {
                await transaction.CommitAsync();
            }
            else
            {
                transaction.Commit();
            }
        }

        await using (var transaction = Async ? await connection.BeginTransactionAsync() : connection.BeginTransaction())
        {
            connection.Execute("insert into orders (id, total) values (@undone, 1)", new { undone }, transaction);
            if (Async)
            {
                await transaction.RollbackAsync();
            }
            else
            {
                transaction.Rollback();
            }
        }

        var all = await _db.AllOrdersAsync();
        all.Single(o => o.Id == kept).Tenant.ShouldBe(OrdersDatabase.Acme);
        all.ShouldNotContain(o => o.Id == undone);
    }

    [Test]
    public async Task A_stored_procedure_is_called_under_the_tenant()
    {
        var ids = new[] { _db.NextId(), _db.NextId() };
        var (ours, theirs) = await BothAsync(async c =>
        {
            var args = new { p_id = c is TenantConnection ? ids[0] : ids[1], p_total = 5m };
            return Async
                ? await c.ExecuteAsync("add_order", args, commandType: CommandType.StoredProcedure)
                : c.Execute("add_order", args, commandType: CommandType.StoredProcedure);
        });
        ours.ShouldBe(theirs);
        (await _db.AllOrdersAsync()).Where(o => ids.Contains(o.Id)).Select(o => o.Tenant).ShouldBe([OrdersDatabase.Acme, OrdersDatabase.Acme]);
    }

    [Test]
    public async Task DynamicParameters_with_an_output_parameter_of_a_procedure_work()
    {
        async Task<(decimal?, decimal?)> Call(DbConnection c)
        {
            var mine = new DynamicParameters(new { p_id = 2 });
            mine.Add("p_total", dbType: DbType.Decimal, direction: ParameterDirection.InputOutput);
            var foreign = new DynamicParameters(new { p_id = 101 });
            foreign.Add("p_total", dbType: DbType.Decimal, direction: ParameterDirection.InputOutput);
            if (Async)
            {
                await c.ExecuteAsync("order_total", mine, commandType: CommandType.StoredProcedure);
                await c.ExecuteAsync("order_total", foreign, commandType: CommandType.StoredProcedure);
            }
            else
            {
                c.Execute("order_total", mine, commandType: CommandType.StoredProcedure);
                c.Execute("order_total", foreign, commandType: CommandType.StoredProcedure);
            }

            return (mine.Get<decimal?>("p_total"), foreign.Get<decimal?>("p_total"));
        }

        var result = await SameAsync(Call);
        result.ShouldBe((20.00m, (decimal?)null));
    }

    [Test]
    public async Task DynamicParameters_bind_inputs()
    {
        var parameters = new DynamicParameters();
        parameters.Add("low", 2);
        parameters.Add("high", 4, DbType.Int32);
        var ids = await SameAsync(async c => (Async
            ? await c.QueryAsync<int>("select id from orders where id between @low and @high order by id", parameters)
            : c.Query<int>("select id from orders where id between @low and @high order by id", parameters)).ToList());
        ids.ShouldBe([2, 3, 4]);
    }

    [Test]
    public async Task Arrays_are_sent_as_PostgreSQL_arrays_as_on_Npgsql()
    {
        var ids = await SameAsync(async c => (Async
            ? await c.QueryAsync<int>("select id from orders where id = any(@ids) order by id", new { ids = new[] { 1, 2, 101 } })
            : c.Query<int>("select id from orders where id = any(@ids) order by id", new { ids = new[] { 1, 2, 101 } })).ToList());
        ids.ShouldBe([1, 2]);
    }

    [Test]
    public async Task The_in_list_expansion_fails_as_it_does_on_Npgsql()
    {
        const string sql = "select id from orders where id in @ids";
        await using var connection = Async ? await _tenants.OpenAsync(OrdersDatabase.Acme) : _tenants.Open(OrdersDatabase.Acme);
        await using var reference = await _db.OpenReferenceAsync(OrdersDatabase.Acme);
        var ours = await Should.ThrowAsync<PostgresException>(async () => _ = Async ? await connection.QueryAsync<int>(sql, new { ids = new[] { 1 } }) : connection.Query<int>(sql, new { ids = new[] { 1 } }));
        var theirs = await Should.ThrowAsync<PostgresException>(async () => _ = Async ? await reference.QueryAsync<int>(sql, new { ids = new[] { 1 } }) : reference.Query<int>(sql, new { ids = new[] { 1 } }));
        ours.SqlState.ShouldBe(theirs.SqlState);
        ours.MessageText.ShouldBe(theirs.MessageText);
    }

    [Test]
    public async Task Errors_are_PostgreSQL_errors_unwrapped()
    {
        await using var connection = Async ? await _tenants.OpenAsync(OrdersDatabase.Acme) : _tenants.Open(OrdersDatabase.Acme);
        var error = await Should.ThrowAsync<PostgresException>(async () => _ = Async ? await connection.QueryAsync<int>("select * from no_such_table") : connection.Query<int>("select * from no_such_table"));
        error.SqlState.ShouldBe(PostgresErrorCodes.UndefinedTable);
        (Async ? await connection.QueryAsync<Order>(Seed) : connection.Query<Order>(Seed)).Count().ShouldBe(5, "the connection is still usable and still the tenant's");
    }

    [Test]
    public async Task Positional_parameters_work_through_a_batch()
    {
        await using var connection = Async ? await _tenants.OpenAsync(OrdersDatabase.Acme) : _tenants.Open(OrdersDatabase.Acme);
        await using var command = connection.CreateCommand();
        command.CommandText = "select count(*) from orders where id < $1";
        var parameter = command.CreateParameter();
        parameter.Value = 10_000;
        command.Parameters.Add(parameter);
        (Async ? await command.ExecuteScalarAsync() : command.ExecuteScalar()).ShouldBe(5L);
        command.Parameters.Count.ShouldBe(1);
        (Async ? await command.ExecuteScalarAsync() : command.ExecuteScalar()).ShouldBe(5L, "the parameters were given back after the first run");
    }
}
