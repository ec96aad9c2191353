using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.SupportAccess;

/// <summary>
/// The attacks on the support path, each as the login that would try it, running SQL of its own: the operator login
/// skipping, rolling back or forging its log row, a pooled lease inheriting an earlier session, and the app login
/// using the support path or touching the log.
/// </summary>
[Category(Categories.Database)]
public class SupportAttackTests
{
    private const string Begin = "select dapper_tenants.begin_support_session(@actor, 'attack test', @tenants, false, false, @token)";

    private SupportDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await SupportDatabase.CreateAsync("support_attack");

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    private static string Token() => Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");

    [Test]
    public async Task The_support_login_without_a_log_row_sees_nothing_even_with_the_tenant_set()
    {
        await using var raw = await _db.OpenRawOperatorAsync();
        (await raw.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(0);
        await raw.ExecuteAsync("select set_config('dapper_tenants.tenant', 'acme', false)");
        (await raw.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(0);
        var insert = await Should.ThrowAsync<PostgresException>(async () =>
            await raw.ExecuteAsync("insert into orders (id, tenant, total) values (@id, 'acme', 1)", new { id = _db.Orders.NextId() }));
        insert.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    [Test]
    public async Task A_log_row_not_yet_committed_admits_nothing_so_a_rollback_cannot_hide_a_read()
    {
        await using var raw = await _db.OpenRawOperatorAsync();
        await using var transaction = await raw.BeginTransactionAsync();
        await raw.ExecuteAsync(Begin, new { actor = "mallory", tenants = new[] { "acme" }, token = Token() }, transaction);
        (await raw.ExecuteScalarAsync<long>("select count(*) from orders", transaction: transaction)).ShouldBe(0);
        await transaction.RollbackAsync();
        (await raw.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(0);
        (await _db.LogAsync()).ShouldNotContain(e => e.Actor == "mallory");
    }

    [Test]
    public async Task A_forged_token_admits_nothing_and_a_new_session_on_the_backend_ends_the_earlier_one()
    {
        await using var raw = await _db.OpenRawOperatorAsync();
        var first = Token();
        await raw.ExecuteAsync(Begin, new { actor = "trent", tenants = new[] { "acme" }, token = first });
        (await raw.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(5);

        await raw.ExecuteAsync("select set_config('dapper_tenants.support_session', @token, false)", new { token = Token() });
        (await raw.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(0);

        // The holder of the secret token may resume its own (logged) session on the same backend...
        await raw.ExecuteAsync("select set_config('dapper_tenants.support_session', @token, false)", new { token = first });
        (await raw.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(5);

        // ...until a newer session is logged there: only the latest row of a backend is ever in force.
        await raw.ExecuteAsync(Begin, new { actor = "trent", tenants = new[] { "globex" }, token = Token() });
        (await raw.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(3);
        await raw.ExecuteAsync("select set_config('dapper_tenants.support_session', @token, false)", new { token = first });
        (await raw.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(0);
    }

    [Test]
    public async Task Another_backends_token_admits_nothing()
    {
        await using var victim = await _db.OpenRawOperatorAsync();
        var token = Token();
        await victim.ExecuteAsync(Begin, new { actor = "victim", tenants = new[] { "initech" }, token });
        (await victim.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(2);

        await using var thief = await _db.OpenRawOperatorAsync();
        await thief.ExecuteAsync("select set_config('dapper_tenants.support_session', @token, false)", new { token });
        (await thief.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(0);
    }

    [Test]
    public async Task A_pooled_lease_of_the_same_backend_does_not_inherit_the_previous_session()
    {
        var pool = _db.CreateOperatorDataSource(b => b.MaxPoolSize = 1);
        var support = new SupportDataSource(pool);
        int pid;
        await using (var connection = await support.OpenAsync("peggy", "first lease", SupportScope.AllTenants))
        {
            (await connection.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(10);
            pid = await connection.ExecuteScalarAsync<int>("select pg_backend_pid()");
        }

        await using var next = await pool.OpenConnectionAsync();
        (await next.ExecuteScalarAsync<int>("select pg_backend_pid()")).ShouldBe(pid);
        (await next.ExecuteScalarAsync<string?>("select nullif(current_setting('dapper_tenants.support_session', true), '')")).ShouldBeNull();
        (await next.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(0);
    }

    [Test]
    public void A_support_data_source_refuses_a_pool_that_does_not_reset_sessions()
    {
        var pool = _db.CreateOperatorDataSource(b => b.NoResetOnClose = true);
        Should.Throw<ArgumentException>(() => new SupportDataSource(pool)).Message.ShouldBe(
            "A SupportDataSource cannot use a data source with No Reset On Close=true: a support session's scope lives in its server session, which must be reset "
            + "before another lease uses it. Remove the setting from the support login's connection string. (Parameter 'supportDataSource')");
    }

    [TestCase("select dapper_tenants.begin_support_session('app', 'fake', '{acme}', false, true, repeat('x', 64))")]
    [TestCase("select dapper_tenants.support_all_tenants(false)")]
    [TestCase("select dapper_tenants.support_tenants(false)")]
    [TestCase("insert into dapper_tenants.access_log (actor, reason, all_tenants, tenants, allow_writes, login, backend_pid, xact, token_hash) "
        + "values ('fake', 'fake', true, '{}', true, 'x', 1, '1', '\\x00')")]
    [TestCase("update dapper_tenants.access_log set actor = 'someone else'")]
    [TestCase("delete from dapper_tenants.access_log")]
    [TestCase("truncate dapper_tenants.access_log")]
    [TestCase("select count(*) from dapper_tenants.access_log")]
    [TestCase("select dapper_tenants.log_support_write('update orders set total = 0')")]
    [TestCase("insert into dapper_tenants.access_log_writes (session_id, xact, statement) values (1, pg_current_xact_id(), 'fake')")]
    [TestCase("update dapper_tenants.access_log_writes set statement = 'something else'")]
    [TestCase("delete from dapper_tenants.access_log_writes")]
    [TestCase("truncate dapper_tenants.access_log_writes")]
    [TestCase("select count(*) from dapper_tenants.access_log_writes")]
    public async Task The_app_login_can_neither_use_the_support_path_nor_touch_the_log(string sql)
    {
        await using var app = await _db.OpenAppAsync();
        (await Should.ThrowAsync<PostgresException>(async () => await app.ExecuteAsync(sql))).SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    [Test]
    public async Task The_app_login_cannot_become_the_support_role()
    {
        await using var app = await _db.OpenAppAsync();
        (await Should.ThrowAsync<PostgresException>(async () => await app.ExecuteAsync($"set role \"{_db.SupportRole}\"")))
            .SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    [TestCase("insert into dapper_tenants.access_log (actor, reason, all_tenants, tenants, allow_writes, login, backend_pid, xact, token_hash) "
        + "values ('fake', 'fake', true, '{}', true, 'x', 1, '1', '\\x00')")]
    [TestCase("update dapper_tenants.access_log set actor = 'someone else'")]
    [TestCase("delete from dapper_tenants.access_log")]
    [TestCase("truncate dapper_tenants.access_log")]
    [TestCase("select count(*) from dapper_tenants.access_log")]
    public async Task The_support_login_writes_the_log_only_through_the_function(string sql)
    {
        await using var raw = await _db.OpenRawOperatorAsync();
        (await Should.ThrowAsync<PostgresException>(async () => await raw.ExecuteAsync(sql))).SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    [Test]
    public async Task The_log_function_refuses_a_login_outside_the_support_role_even_if_granted_execute()
    {
        await _db.Orders.Database.ExecuteAsOwnerAsync(
            $"GRANT EXECUTE ON FUNCTION dapper_tenants.begin_support_session(text, text, text[], bool, bool, text) TO \"{_db.AppRole}\"; "
            + $"GRANT USAGE ON SCHEMA dapper_tenants TO \"{_db.AppRole}\";");
        try
        {
            await using var app = await _db.OpenAppAsync();
            var refused = await Should.ThrowAsync<PostgresException>(async () =>
                await app.ExecuteAsync("select dapper_tenants.begin_support_session('app', 'fake', '{acme}', false, true, repeat('x', 64))"));
            refused.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
            refused.MessageText.ShouldBe($"The login {_db.AppRole} is not a member of the support role {_db.SupportRole}, so it cannot open a support session.");
        }
        finally
        {
            await _db.Orders.Database.ExecuteAsOwnerAsync(
                $"REVOKE EXECUTE ON FUNCTION dapper_tenants.begin_support_session(text, text, text[], bool, bool, text) FROM \"{_db.AppRole}\"; "
                + $"REVOKE USAGE ON SCHEMA dapper_tenants FROM \"{_db.AppRole}\";");
        }
    }

    [Test]
    public async Task The_app_tenant_connections_are_unchanged_by_the_support_policies()
    {
        await using var tenants = _db.Orders.CreateTenants();
        await using var acme = await tenants.OpenAsync(OrdersDatabase.Acme);
        (await acme.QueryAsync<int>("select id from orders order by id")).ShouldBe([1, 2, 3, 4, 5]);
    }
}
