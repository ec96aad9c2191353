using System.Data;
using System.Data.Common;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Connections;

/// <summary>
/// The command path's second design: the caller's state stays the caller's, one context per connection decides what
/// travels, one execution per call owns what it sends. Each test pins a defect of the first design or a property the
/// new one must keep (same round trip, fail closed, nothing of the caller reaching the tenant value).
/// </summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync)]
[TestFixture(SyncOrAsync.Async)]
public class CommandPathTests(SyncOrAsync mode)
{
    private const string AcmeRows = "select id from orders where id < 10000 order by id";
    private static readonly int[] AcmeIds = [1, 2, 3, 4, 5];
    private OrdersDatabase _db = null!;
    private TenantDataSource _tenants = null!;

    private bool Async => mode == SyncOrAsync.Async;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await OrdersDatabase.CreateAsync("cmdpath");
        _tenants = _db.CreateTenants();
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await _tenants.DisposeAsync();
        await _db.DisposeAsync();
    }

    private async Task<TenantConnection> OpenAsync(string tenant = OrdersDatabase.Acme, TenantDataSource? tenants = null) =>
        Async ? await (tenants ?? _tenants).OpenAsync(tenant) : (tenants ?? _tenants).Open(tenant);

    private async Task<List<int>> IdsAsync(DbCommand command)
    {
        var ids = new List<int>();
        var reader = Async ? await command.ExecuteReaderAsync() : command.ExecuteReader();
        await using (reader)
        {
            while (Async ? await reader.ReadAsync() : reader.Read())
            {
                ids.Add(reader.GetInt32(0));
            }
        }

        return ids;
    }

    [TestCase("__dapper_tenants_tenant")]
    [TestCase("@__dapper_tenants_tenant")]
    [TestCase(":__DAPPER_TENANTS_TENANT")]
    public async Task A_caller_parameter_named_like_the_old_context_parameter_does_not_change_the_tenant(string name)
    {
        await using var acme = await OpenAsync();
        var parameters = new DynamicParameters();
        parameters.Add(name, OrdersDatabase.Globex);
        var ids = Async
            ? (await acme.QueryAsync<int>("select id from orders where id < 10000 and total >= 0 order by id", parameters)).ToList()
            : acme.Query<int>("select id from orders where id < 10000 and total >= 0 order by id", parameters).ToList();
        ids.ShouldBe(AcmeIds);
    }

    [Test]
    public async Task A_caller_parameter_in_a_multi_statement_text_does_not_change_the_tenant()
    {
        await using var acme = await OpenAsync();
        var id = _db.NextId();
        var parameters = new { __dapper_tenants_tenant = OrdersDatabase.Globex, id };
        var sql = "insert into orders (id, total) values (@id, 1); select tenant from orders where id = @id";
        var tenant = Async ? await acme.QuerySingleAsync<string>(sql, parameters) : acme.QuerySingle<string>(sql, parameters);
        tenant.ShouldBe(OrdersDatabase.Acme);
        (await _db.AllOrdersAsync()).Single(o => o.Id == id).Tenant.ShouldBe(OrdersDatabase.Acme);
    }

    [Test]
    public async Task The_context_parameter_name_of_a_data_source_is_random_and_reserved()
    {
        await using var other = _db.CreateTenants();
        other.ContextParameterName.ShouldNotBe(_tenants.ContextParameterName);
        other.ContextParameterName.ShouldStartWith("__dapper_tenants_");
        _tenants.IsContextParameterName("@" + _tenants.ContextParameterName.ToUpperInvariant()).ShouldBeTrue();
        _tenants.IsContextParameterName("__dapper_tenants_tenant").ShouldBeFalse();

        await using var acme = await OpenAsync();
        await using var command = acme.CreateCommand();
        command.CommandText = "select 1; select 2";
        var parameter = command.CreateParameter();
        parameter.ParameterName = _tenants.ContextParameterName;
        parameter.Value = OrdersDatabase.Globex;
        command.Parameters.Add(parameter);
        var error = Async ? await Should.ThrowAsync<InvalidOperationException>(() => command.ExecuteNonQueryAsync()) : Should.Throw<InvalidOperationException>(() => command.ExecuteNonQuery());
        error.Message.ShouldBe($"The parameter name '{_tenants.ContextParameterName}' is reserved by DapperTenants for the tenant context. Rename the parameter.");
    }

    [Test]
    public async Task A_reader_outlives_its_disposed_command()
    {
        await using var acme = await OpenAsync();
        var command = acme.CreateCommand();
        command.CommandText = AcmeRows;
        var reader = Async ? await command.ExecuteReaderAsync() : command.ExecuteReader();
        await command.DisposeAsync();
        var ids = new List<int>();
        while (Async ? await reader.ReadAsync() : reader.Read())
        {
            ids.Add(reader.GetInt32(0));
        }

        await reader.DisposeAsync();
        ids.ShouldBe(AcmeIds);
        (await IdsAsync(NewCommand(acme, AcmeRows))).ShouldBe(AcmeIds);
    }

    [Test]
    public async Task A_command_re_executed_after_its_reader_closed_runs_again_under_the_tenant()
    {
        await using var acme = await OpenAsync();
        await using var command = NewCommand(acme, AcmeRows);
        for (var i = 0; i < 3; i++)
        {
            (await IdsAsync(command)).ShouldBe(AcmeIds);
        }
    }

    [Test]
    public async Task A_command_whose_reader_is_open_refuses_to_run_again_as_Npgsql_does()
    {
        await using var acme = await OpenAsync();
        await using var command = NewCommand(acme, AcmeRows);
        await using var reader = Async ? await command.ExecuteReaderAsync() : command.ExecuteReader();
        Should.Throw<NpgsqlOperationInProgressException>(() => command.ExecuteReader());
        Should.Throw<InvalidOperationException>(() => command.CommandText = "select 1").Message.ShouldBe("An open data reader exists for this command.");
    }

    [Test]
    public async Task An_output_parameter_is_filled_on_a_statement_that_carries_the_tenant()
    {
        await using var acme = await OpenAsync();
        var parameters = new DynamicParameters();
        parameters.Add("x", dbType: DbType.Int32, direction: ParameterDirection.Output);
        var sql = "select 42 as x, (select count(*) from orders where id < 10000) as n";
        _ = Async ? await acme.ExecuteAsync(sql, parameters) : acme.Execute(sql, parameters);
        parameters.Get<int>("x").ShouldBe(42);
    }

    [Test]
    public async Task An_inout_parameter_of_a_procedure_is_filled_under_the_tenant()
    {
        await using var acme = await OpenAsync();
        var parameters = new DynamicParameters();
        parameters.Add("p_id", 101);
        parameters.Add("p_total", dbType: DbType.Decimal, direction: ParameterDirection.InputOutput);
        _ = Async
            ? await acme.ExecuteAsync("call order_total(@p_id, @p_total)", parameters)
            : acme.Execute("call order_total(@p_id, @p_total)", parameters);
        parameters.Get<decimal?>("p_total").ShouldBeNull("order 101 is globex's: the procedure sees no row as acme");
        parameters.Add("p_id", 2);
        _ = Async
            ? await acme.ExecuteAsync("call order_total(@p_id, @p_total)", parameters)
            : acme.Execute("call order_total(@p_id, @p_total)", parameters);
        parameters.Get<decimal?>("p_total").ShouldBe(20m);
    }

    [Test]
    public async Task A_DbBatch_carries_the_tenant_in_the_same_round_trip_and_reports_each_command()
    {
        var server = _db.Database.Server;
        await using var counter = new RoundTripCounter(server.Host, server.Port);
        await using var tenants = _db.CreateTenants(b =>
        {
            b.Host = "127.0.0.1";
            b.Port = counter.Port;
            b.SslMode = SslMode.Disable;
            b.Pooling = false;
        });
        await using var acme = await OpenAsync(tenants: tenants);
        acme.CanCreateBatch.ShouldBeTrue();
        var id = _db.NextId();
        await using var batch = acme.CreateBatch();
        var insert = batch.CreateBatchCommand();
        insert.CommandText = "insert into orders (id, total) values (@id, 3)";
        var p = insert.CreateParameter();
        p.ParameterName = "id";
        p.Value = id;
        insert.Parameters.Add(p);
        batch.BatchCommands.Add(insert);
        var count = batch.CreateBatchCommand();
        count.CommandText = "select count(*) from orders where tenant = 'acme' and id < 10000";
        batch.BatchCommands.Add(count);
        var before = counter.RoundTrips;
        var reader = Async ? await batch.ExecuteReaderAsync() : batch.ExecuteReader();
        await using (reader)
        {
            (Async ? await reader.ReadAsync() : reader.Read()).ShouldBeTrue("the first result is the caller's first command's");
            reader.GetInt64(0).ShouldBe(5L);
        }

        (counter.RoundTrips - before).ShouldBe(1);
        insert.RecordsAffected.ShouldBe(1);
        (await _db.AllOrdersAsync()).Single(o => o.Id == id).Tenant.ShouldBe(OrdersDatabase.Acme);
    }

    [Test]
    public async Task The_guard_checks_every_command_of_a_DbBatch_before_anything_is_sent()
    {
        await using var acme = await OpenAsync();
        await using var batch = acme.CreateBatch();
        var first = batch.CreateBatchCommand();
        first.CommandText = "select nextval('pg_catalog.pg_class_oid_index'::regclass)";
        batch.BatchCommands.Add(first);
        var second = batch.CreateBatchCommand();
        second.CommandText = "insert into orders (id, tenant, total) values (9, 'globex', 1)";
        batch.BatchCommands.Add(second);
        if (Async)
        {
            await Should.ThrowAsync<TenantGuardException>(() => batch.ExecuteNonQueryAsync());
        }
        else
        {
            Should.Throw<TenantGuardException>(() => batch.ExecuteNonQuery());
        }
    }

    [Test]
    public async Task RefreshCatalog_leaves_open_connections_guarded()
    {
        await using var tenants = _db.CreateTenants();
        await using var acme = await OpenAsync(tenants: tenants);
        tenants.RefreshCatalog();
        var sql = "insert into orders (id, tenant, total) values (9, 'globex', 1)";
        if (Async)
        {
            await Should.ThrowAsync<TenantGuardException>(() => acme.ExecuteAsync(sql));
        }
        else
        {
            Should.Throw<TenantGuardException>(() => acme.Execute(sql));
        }
    }

    [Test]
    public async Task A_prepared_command_keeps_working_after_its_connection_reopens_on_another_backend()
    {
        await using var tenants = _db.CreateTenants(b => b.MaxAutoPrepare = 5);
        await using var acme = await OpenAsync(tenants: tenants);
        await using var blocker = await OpenAsync(OrdersDatabase.Globex, tenants);
        await using var command = NewCommand(acme, AcmeRows);
        if (Async)
        {
            await command.PrepareAsync();
        }
        else
        {
            command.Prepare();
        }

        (await IdsAsync(command)).ShouldBe(AcmeIds);
        var firstBackend = acme.InnerConnection.ProcessID;

        // Reopen while both idle backends are held by other leases: the connection lands on a new one.
        await blocker.CloseAsync();
        await acme.CloseAsync();
        await using var hold1 = await OpenAsync(OrdersDatabase.Initech, tenants);
        await using var hold2 = await OpenAsync(OrdersDatabase.Initech, tenants);
        await acme.OpenAsync();
        acme.InnerConnection.ProcessID.ShouldNotBe(firstBackend);
        for (var i = 0; i < 3; i++)
        {
            (await IdsAsync(command)).ShouldBe(AcmeIds);
        }
    }

    [Test]
    public async Task A_rollback_to_a_savepoint_sent_as_SQL_runs_in_a_failed_transaction()
    {
        await using var acme = await OpenAsync();
        await using var transaction = Async ? await acme.BeginTransactionAsync() : acme.BeginTransaction();
        (await IdsAsync(NewCommand(acme, AcmeRows, transaction))).ShouldBe(AcmeIds);
        await ExecuteAsync(NewCommand(acme, "savepoint s", transaction));
        if (Async)
        {
            await Should.ThrowAsync<PostgresException>(() => NewCommand(acme, "select 1/0", transaction).ExecuteNonQueryAsync());
        }
        else
        {
            Should.Throw<PostgresException>(() => NewCommand(acme, "select 1/0", transaction).ExecuteNonQuery());
        }

        await ExecuteAsync(NewCommand(acme, "rollback to savepoint s", transaction));
        (await IdsAsync(NewCommand(acme, AcmeRows, transaction))).ShouldBe(AcmeIds);
    }

    [Test]
    public async Task A_transaction_written_as_one_SQL_text_runs_under_the_tenant()
    {
        await using var acme = await OpenAsync();
        var id = _db.NextId();
        await ExecuteAsync(NewCommand(acme, $"begin; insert into orders (id, total) values ({id}, 4); commit"));
        (await _db.AllOrdersAsync()).Single(o => o.Id == id).Tenant.ShouldBe(OrdersDatabase.Acme);
    }

    [Test]
    public async Task A_caller_command_that_fails_on_the_client_leaves_the_context_statement_usable_with_auto_prepare()
    {
        // Npgsql auto-prepares a statement on its fifth use. The fifth context statement goes out with a command Npgsql
        // refuses on the client (an output parameter referenced in the text): Npgsql marks the context statement "being
        // prepared", then fails before sending anything.
        await using var tenants = _db.CreateTenants(b =>
        {
            b.MaxPoolSize = 1;
            b.MaxAutoPrepare = 10;
        });
        await using var acme = await OpenAsync(tenants: tenants);
        await using var kept = NewCommand(acme, AcmeRows);
        for (var i = 0; i < 4; i++)
        {
            (await IdsAsync(kept)).ShouldBe(AcmeIds);
        }

        await using (var bad = NewCommand(acme, "select @p::text"))
        {
            var parameter = bad.CreateParameter();
            parameter.ParameterName = "p";
            parameter.Direction = ParameterDirection.Output;
            parameter.DbType = DbType.String;
            bad.Parameters.Add(parameter);
            var error = Async
                ? await Should.ThrowAsync<InvalidOperationException>(() => bad.ExecuteScalarAsync())
                : Should.Throw<InvalidOperationException>(() => bad.ExecuteScalar());
            error.Message.ShouldBe("Parameter 'p' referenced in SQL but is an out-only parameter");
        }

        acme.State.ShouldBe(ConnectionState.Open);

        // Another command, with its own context statement object, on the same physical connection.
        for (var i = 0; i < 3; i++)
        {
            (await IdsAsync(kept)).ShouldBe(AcmeIds);
        }
    }

    [Test]
    public async Task A_context_statement_dropped_by_a_failed_auto_preparation_is_prepared_again_without_an_error()
    {
        // Npgsql restores a replaced auto-prepared statement when the replacement fails to parse, although the Close it
        // sent ahead of the Parse already dropped it on the server. With one auto-prepare slot, the context statement
        // holds it; a statement crossing its threshold in an aborted transaction replaces it and fails.
        await using var tenants = _db.CreateTenants(b =>
        {
            b.MaxPoolSize = 1;
            b.MaxAutoPrepare = 1;
        });
        await using var acme = await OpenAsync(tenants: tenants);
        for (var i = 0; i < 5; i++)
        {
            (await acme.QuerySingleAsync<int>("select 1")).ShouldBe(1);
        }

        for (var i = 0; i < 4; i++)
        {
            (await acme.QuerySingleAsync<int>("select 2")).ShouldBe(2);
        }

        await using (var transaction = await acme.BeginTransactionAsync())
        {
            (await acme.QuerySingleAsync<int>("select 3", transaction: transaction)).ShouldBe(3);
            (await Should.ThrowAsync<PostgresException>(() => acme.QuerySingleAsync<int>("select 1/0", transaction: transaction))).SqlState.ShouldBe("22012");
            (await Should.ThrowAsync<PostgresException>(() => acme.QuerySingleAsync<int>("select 2", transaction: transaction))).SqlState.ShouldBe("25P02");
            await transaction.RollbackAsync();
        }

        (await IdsAsync(NewCommand(acme, AcmeRows))).ShouldBe(AcmeIds);
        (await IdsAsync(NewCommand(acme, AcmeRows))).ShouldBe(AcmeIds);
    }

    [Test]
    public async Task A_login_whose_strings_are_not_standard_conforming_is_refused_at_open()
    {
        await using var db = await OrdersDatabase.CreateAsync("nonstandard");
        await db.Database.ExecuteAsAdminAsync($"alter role \"{db.Database.AppRole}\" set standard_conforming_strings = off");
        await using var tenants = db.CreateTenants();
        var error = Async
            ? await Should.ThrowAsync<TenantIsolationException>(async () => await tenants.OpenAsync(OrdersDatabase.Acme))
            : Should.Throw<TenantIsolationException>(() => tenants.Open(OrdersDatabase.Acme));
        error.Message.ShouldStartWith("The server session has standard_conforming_strings = off");
        await using var unguarded = db.CreateTenants(options: o => o.GuardMode = TenantGuardMode.Off);
        await using var open = await unguarded.OpenAsync(OrdersDatabase.Acme);
        open.State.ShouldBe(ConnectionState.Open);
    }

    private async Task ExecuteAsync(DbCommand command)
    {
        await using (command)
        {
            _ = Async ? await command.ExecuteNonQueryAsync() : command.ExecuteNonQuery();
        }
    }

    private static DbCommand NewCommand(TenantConnection connection, string sql, DbTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }
}
