using System.Data;
using System.Data.Common;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Parity;

/// <summary>
/// A caller parameter named like the library's internal one (<c>__dapper_tenants_tenant</c>, any prefix, case or
/// direction) is only the caller's parameter, as on Npgsql: it never changes which tenant's rows a statement sees or
/// which tenant a write is stamped with (issue #12, item 1), in any execution path.
/// </summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Transaction)]
[TestFixture(SyncOrAsync.Sync, TenantContextScope.Session)]
[TestFixture(SyncOrAsync.Async, TenantContextScope.Session)]
public sealed class TenantParameterNameParityTests(SyncOrAsync mode, TenantContextScope scope) : ParityFixture(mode, scope)
{
    private const string Globex = OrdersDatabase.Globex;

    /// <summary>The tenants of the rows a statement sees, and the setting it runs under.</summary>
    private const string Seen = "select coalesce(string_agg(distinct tenant, ','), '<none>') || ' / ' || coalesce(current_setting('dapper_tenants.tenant', true), '<none>') from orders where total >= 0";

    private static readonly string[] Names =
        ["__dapper_tenants_tenant", "@__dapper_tenants_tenant", ":__dapper_tenants_tenant", "__DAPPER_TENANTS_TENANT", "@__Dapper_Tenants_Tenant"];

    private static readonly object[] NamesAndDirections =
        Names.SelectMany(n => new object[] { new object[] { n, ParameterDirection.Input }, new object[] { n, ParameterDirection.Output }, new object[] { n, ParameterDirection.InputOutput } }).ToArray();

    [TestCaseSource(nameof(Names))]
    public async Task A_Dapper_parameter_with_the_librarys_name_does_not_change_the_rows_a_query_sees(string name)
    {
        var seen = await SameAsync(async side =>
        {
            var p = new DynamicParameters();
            p.Add(name, Globex);
            return Async ? await side.Connection.ExecuteScalarAsync<string>(Seen, p) : side.Connection.ExecuteScalar<string>(Seen, p);
        });
        seen.ShouldBe("acme / acme");
    }

    [TestCaseSource(nameof(Names))]
    public async Task A_Dapper_parameter_with_the_librarys_name_does_not_change_the_tenant_a_write_is_stamped_with(string name)
    {
        var outcome = await SameAsync(async side =>
        {
            var id = side.NewId();
            var p = new DynamicParameters(new { id });
            p.Add(name, Globex);
            const string sql = "insert into orders (id, total) values (@id, 1)";
            var affected = Async ? await side.Connection.ExecuteAsync(sql, p) : side.Connection.Execute(sql, p);
            return (affected, await StampAsync(id));
        });
        outcome.ShouldBe((1, Acme));
    }

    [TestCaseSource(nameof(NamesAndDirections))]
    public async Task An_ADO_NET_parameter_with_the_librarys_name_in_any_direction_does_not_change_the_tenant(string name, ParameterDirection direction)
    {
        var outcome = await SameAsync(async side =>
        {
            var id = side.NewId();
            var query = Command(side.Connection, Seen);
            Parameter(query, name, Globex, direction, DbType.String);
            var seen = await Outcome.OfAsync(() => ScalarAsync(query));
            var insert = Command(side.Connection, "insert into orders (id, total) values (@id, 1)", ("id", id));
            Parameter(insert, name, Globex, direction, DbType.String);
            var written = await Outcome.OfAsync(() => NonQueryAsync(insert));
            return (seen, written, await StampAsync(id));
        });
        outcome.ShouldBe(("value \"acme / acme\"", "value Int32:1", Acme));
    }

    [Test]
    public async Task The_callers_parameter_with_the_librarys_name_keeps_its_own_value_in_the_statement()
    {
        var outcome = await SameAsync(async side =>
        {
            const string sql = "select @__dapper_tenants_tenant || ' / ' || (" + Seen + ")";
            var args = new { __dapper_tenants_tenant = Globex };
            return Async ? await side.Connection.ExecuteScalarAsync<string>(sql, args) : side.Connection.ExecuteScalar<string>(sql, args);
        });
        outcome.ShouldBe("globex / acme / acme");
    }

    [Test]
    public async Task An_anonymous_object_member_with_the_librarys_name_does_not_change_reads_or_writes()
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var id = side.NewId();
            var seen = Async ? await c.ExecuteScalarAsync<string>(Seen, new { __dapper_tenants_tenant = Globex }) : c.ExecuteScalar<string>(Seen, new { __dapper_tenants_tenant = Globex });
            const string insert = "insert into orders (id, total, note) values (@id, 1, @__dapper_tenants_tenant)";
            _ = Async ? await c.ExecuteAsync(insert, new { id, __dapper_tenants_tenant = Globex }) : c.Execute(insert, new { id, __dapper_tenants_tenant = Globex });
            return (seen, await StampAsync(id));
        });
        outcome.ShouldBe(("acme / acme", Acme));
    }

    [TestCaseSource(nameof(Names))]
    public async Task A_parameter_with_the_librarys_name_on_the_first_statement_of_a_transaction_does_not_change_the_tenant(string name)
    {
        var outcome = await SameAsync(async side =>
        {
            var c = side.Connection;
            var id = side.NewId();
            await using var transaction = await BeginAsync(c);
            var p = new DynamicParameters(new { id });
            p.Add(name, Globex);
            const string sql = "insert into orders (id, total) values (@id, 1)";
            _ = Async ? await c.ExecuteAsync(sql, p, transaction) : c.Execute(sql, p, transaction);
            var seen = Async ? await c.ExecuteScalarAsync<string>(Seen, p, transaction) : c.ExecuteScalar<string>(Seen, p, transaction);
            await CommitAsync(transaction);
            return (seen, await StampAsync(id));
        });
        outcome.ShouldBe(("acme / acme", Acme));
    }

    [Test]
    public async Task A_parameter_with_the_librarys_name_on_a_stored_procedure_call_fails_as_on_Npgsql_and_writes_nothing()
    {
        var outcome = await SameAsync(async side =>
        {
            var id = side.NewId();
            var p = new DynamicParameters(new { p_id = id, p_total = 2m });
            p.Add("__dapper_tenants_tenant", Globex);
            var call = await Outcome.OfAsync(async () => Async
                ? await side.Connection.ExecuteAsync("add_order", p, commandType: CommandType.StoredProcedure)
                : side.Connection.Execute("add_order", p, commandType: CommandType.StoredProcedure));
            return (call, await StampAsync(id));
        });
        outcome.call.ShouldStartWith("error Npgsql.PostgresException 42883");
        outcome.Item2.ShouldBeNull();
    }

    // Each step on its own connection: Npgsql closes a connection after the protocol error (08P01) the first step gets.
    [Test]
    public async Task A_parameter_with_the_librarys_name_next_to_positional_placeholders_behaves_as_on_Npgsql()
    {
        var outcome = await SameAsync(async side =>
        {
            var named = Command(await side.OpenAsync(), Seen + " and id < $1");
            Parameter(named, "__dapper_tenants_tenant", Globex);
            var onlyNamed = await Outcome.OfAsync(() => ScalarAsync(named));
            var mixed = Command(await side.OpenAsync(), Seen + " and id < $1", (null, 10_000));
            Parameter(mixed, "__dapper_tenants_tenant", Globex);
            var mixedOutcome = await Outcome.OfAsync(() => ScalarAsync(mixed));
            var positional = Command(await side.OpenAsync(), Seen + " and id < $1 and $2::text is not null", (null, 10_000), (null, Globex));
            var positionalOutcome = await Outcome.OfAsync(() => ScalarAsync(positional));
            return (onlyNamed, mixedOutcome, positionalOutcome, await TenantSeenAsync(side.Connection));
        });
        outcome.positionalOutcome.ShouldBe("value \"acme / acme\"");
        outcome.Item4.ShouldBe("5 rows, tenant acme");
    }

    [Test]
    public async Task A_batch_command_parameter_with_the_librarys_name_does_not_change_the_tenant()
    {
        var outcome = await SameAsync(async side =>
        {
            var id = side.NewId();
            await using var batch = side.Connection.CreateBatch();
            var insert = batch.CreateBatchCommand();
            insert.CommandText = "insert into orders (id, total) values (@id, 1)";
            AddTo(insert, "id", id);
            AddTo(insert, "__dapper_tenants_tenant", Globex);
            batch.BatchCommands.Add(insert);
            var seen = batch.CreateBatchCommand();
            seen.CommandText = Seen;
            AddTo(seen, "@__dapper_tenants_tenant", Globex);
            batch.BatchCommands.Add(seen);
            var result = Async ? await batch.ExecuteScalarAsync() : batch.ExecuteScalar();
            return (result as string, await StampAsync(id));
        });
        outcome.ShouldBe(("acme / acme", Acme));
    }

    [Test]
    public async Task A_prepared_command_with_a_parameter_of_the_librarys_name_does_not_change_the_tenant()
    {
        var outcome = await SameAsync(async side =>
        {
            var command = Command(side.Connection, Seen, ("__dapper_tenants_tenant", Globex));
            if (Async)
            {
                await command.PrepareAsync();
            }
            else
            {
                command.Prepare();
            }

            var first = await ScalarAsync(command);
            command.Parameters[0].Value = OrdersDatabase.Initech;
            return (first, await ScalarAsync(command));
        });
        outcome.ShouldBe(((object?)"acme / acme", (object?)"acme / acme"));
    }

    private static void AddTo(DbBatchCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
