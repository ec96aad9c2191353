using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Signed;

/// <summary>
/// The signed context through the request path: a data source with the key sends a token in the context statement,
/// the first open checks that it verifies, and SQL that sets the raw setting to another tenant reaches nothing.
/// </summary>
[Category(Categories.Database)]
[TestFixture(TenantContextScope.Transaction)]
[TestFixture(TenantContextScope.Session)]
public sealed class SignedConnectionTests(TenantContextScope scope)
{
    private SignedDatabase _db = null!;
    private TenantDataSource _tenants = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await SignedDatabase.CreateAsync("signedpath");
        _tenants = Tenants();
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await _tenants.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await _db.DisposeAsync();
    }

    private TenantDataSource Tenants(Action<TenantOptions>? configure = null) => _db.Database.CreateTenantDataSource(configureOptions: o =>
    {
        o.SigningKey = SignedDatabase.Key;
        o.ContextScope = scope;
        o.AllowDynamicSql = true;
        configure?.Invoke(o);
    });

    [Test]
    public async Task A_tenant_reads_and_writes_its_own_rows_through_the_token()
    {
        await using var acme = await _tenants.OpenAsync(SignedDatabase.Acme);
        (await acme.QueryAsync<int>("select id from signed_orders order by id")).ShouldBe([1, 2, 3]);
        var setting = await acme.ExecuteScalarAsync<string>("select current_setting('dapper_tenants.tenant')");
        setting.ShouldStartWith("v1.default.", customMessage: "the setting holds a token, not the bare tenant");
        await using var transaction = await acme.BeginTransactionAsync();
        (await acme.ExecuteAsync("insert into signed_orders (id, total) values (6, 1)", transaction: transaction)).ShouldBe(1);
        (await acme.QuerySingleAsync<string>("select tenant from signed_orders where id = 6", transaction: transaction)).ShouldBe("acme");
        await transaction.RollbackAsync();
    }

    [TestCase("select set_config('dapper_tenants.tenant', 'globex', true); select id from signed_orders order by id")]
    [TestCase("do $$ begin perform set_config('dapper_tenants.tenant', 'globex', true); end $$; select id from signed_orders order by id")]
    [TestCase("select query_to_xml('select set_config(''dapper_tenants.tenant'', ''globex'', true)', false, false, ''); select id from signed_orders order by id")]
    public async Task Injected_SQL_that_sets_the_raw_setting_to_another_tenant_reaches_nothing(string sql)
    {
        // The guard would refuse these forms; with it off, the database alone must hold.
        await using var tenants = Tenants(o => o.GuardMode = TenantGuardMode.Off);
        await using var acme = await tenants.OpenAsync(SignedDatabase.Acme);
        await using var grid = await acme.QueryMultipleAsync(sql);
        var last = new List<int>();
        while (!grid.IsConsumed)
        {
            var rows = (await grid.ReadAsync()).ToList();
            last = rows.Count > 0 && ((IDictionary<string, object>)rows[0]).ContainsKey("id")
                ? [.. rows.Select(r => (int)((IDictionary<string, object>)r)["id"])]
                : last;
        }

        last.ShouldBeEmpty("a raw tenant in the setting verifies as nobody");
    }

    [Test]
    public async Task The_escape_hatch_with_a_forged_raw_setting_sees_nothing()
    {
        await using var acme = await _tenants.OpenAsync(SignedDatabase.Acme);
        await acme.InnerConnection.ExecuteAsync("select set_config('dapper_tenants.tenant', 'globex', false)");
        (await acme.InnerConnection.QueryAsync<int>("select id from signed_orders")).ShouldBeEmpty();
    }

    [Test]
    public async Task A_token_read_by_injected_SQL_grants_only_its_own_tenant()
    {
        await using var acme = await _tenants.OpenAsync(SignedDatabase.Acme);
        var token = await acme.ExecuteScalarAsync<string>("select current_setting('dapper_tenants.tenant')");
        await using var globex = await _tenants.OpenAsync(SignedDatabase.Globex);
        await globex.InnerConnection.ExecuteAsync("select set_config('dapper_tenants.tenant', @token, false)", new { token });
        (await globex.InnerConnection.QueryAsync<int>("select id from signed_orders order by id")).ShouldBe([1, 2, 3],
            "a replayed token is acme's: it reads acme's rows, never globex's or anyone else's");
    }

    [Test]
    public async Task A_data_source_with_a_key_the_database_does_not_hold_fails_at_the_first_open()
    {
        await using var tenants = Tenants(o => o.SigningKey = SignedDatabase.OtherKey);
        var error = await Should.ThrowAsync<SignedContextException>(async () => await tenants.OpenAsync(SignedDatabase.Acme));
        error.Problem.ShouldBe(SignedContextProblem.WrongKey);
    }

    [Test]
    public async Task A_data_source_without_the_key_sees_nothing_on_signed_policies()
    {
        await using var unsigned = _db.Database.CreateTenantDataSource(configureOptions: o => o.ContextScope = scope);
        await using var acme = await unsigned.OpenAsync(SignedDatabase.Acme);
        (await acme.QueryAsync<int>("select id from signed_orders")).ShouldBeEmpty();
    }

    [Test]
    public async Task A_long_session_sends_a_renewed_token_before_the_old_one_expires()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var tenants = Tenants(o =>
        {
            o.SigningTokenLifetime = TimeSpan.FromSeconds(20);
            o.SigningClock = clock;
        });
        await using var acme = await tenants.OpenAsync(SignedDatabase.Acme);
        var first = await acme.ExecuteScalarAsync<string>("select current_setting('dapper_tenants.tenant')");
        clock.Advance(TimeSpan.FromSeconds(11));
        (await acme.QueryAsync<int>("select id from signed_orders order by id")).ShouldBe([1, 2, 3]);
        var second = await acme.ExecuteScalarAsync<string>("select current_setting('dapper_tenants.tenant')");
        second.ShouldNotBe(first, "past half its lifetime the token is renewed and sent again, in session scope too");
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
