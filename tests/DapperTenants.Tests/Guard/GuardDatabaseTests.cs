using System.Data;
using System.Data.Common;
using DapperTenants.Guard;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Guard;

/// <summary>The guard on a real <see cref="TenantConnection"/>: refusals happen before anything is sent, legal twins go through.</summary>
[Category(Categories.Database)]
public sealed class GuardDatabaseTests
{
    private TestDatabase _database = null!;
    private TenantDataSource _tenants = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _database = await TestServer.CreateDatabaseAsync("guard");
        await OracleSchema.CreateAsync(_database);
        _tenants = _database.CreateTenantDataSource();
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await _tenants.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Test]
    public void A_wrong_tenant_insert_is_refused_before_it_is_sent()
    {
        using var conn = _tenants.Open("acme");
        var before = conn.ExecuteScalar<long>("select nextval('guard_probe')");

        var ex = Should.Throw<TenantGuardException>(() =>
            conn.Execute("insert into orders (id, tenant) values (nextval('guard_probe'), @Tenant)", new { Tenant = "globex" }));

        ex.Message.ShouldBe("INSERT into public.orders writes tenant 'globex', but this connection belongs to tenant 'acme'. "
            + "Open a connection for 'globex' (tenants.Open(\"globex\")) or remove the tenant column so its default stamps 'acme'.");
        ex.ConnectionTenant.ShouldBe("acme");

        // Had the statement reached the server, nextval would have advanced the sequence even though the insert failed.
        conn.ExecuteScalar<long>("select last_value from guard_probe").ShouldBe(before);
    }

    [Test]
    public async Task The_same_insert_with_the_guard_off_is_refused_by_the_database()
    {
        await using var unguarded = _database.CreateTenantDataSource(configureOptions: o => o.GuardMode = TenantGuardMode.Off);
        await using var conn = await unguarded.OpenAsync("acme");
        var ex = await Should.ThrowAsync<PostgresException>(() =>
            conn.ExecuteAsync("insert into orders (id, tenant) values (@Id, @Tenant)", new { Id = 60, Tenant = "globex" }));
        ex.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    [Test]
    public async Task Own_tenant_writes_pass_through_Dapper()
    {
        await using var conn = await _tenants.OpenAsync("acme");
        await using var transaction = await conn.BeginTransactionAsync();
        (await conn.ExecuteAsync("insert into orders (id, tenant, total) values (@Id, @Tenant, @Total)", new { Id = 61, Tenant = "acme", Total = 3m }, transaction)).ShouldBe(1);
        (await conn.ExecuteAsync("insert into orders (id, total) values (@Id, @Total)", new { Id = 62, Total = 4m }, transaction)).ShouldBe(1);
        (await conn.ExecuteAsync("update orders set tenant = @Tenant, total = total + 1 where id = @Id", new { Id = 61, Tenant = "acme" }, transaction)).ShouldBe(1);
        (await conn.QueryAsync<string>("select tenant from orders where id in (61, 62)", transaction: transaction)).ShouldBe(["acme", "acme"]);
        await transaction.RollbackAsync();
    }

    [Test]
    public void Positional_parameters_and_data_modifying_CTEs_are_checked()
    {
        using var conn = _tenants.Open("acme");
        using var command = conn.CreateCommand();
        command.CommandText = "insert into orders (id, tenant) values ($1, $2)";
        command.Parameters.Add(new NpgsqlParameter { Value = 63 });
        command.Parameters.Add(new NpgsqlParameter { Value = "globex" });
        Should.Throw<TenantGuardException>(() => command.ExecuteNonQuery()).StatementKind.ShouldBe("INSERT");

        Should.Throw<TenantGuardException>(() => conn.Query<int>(
            "with moved as (update orders set tenant = :t where id = 1 returning id) select id from moved", new { t = "globex" }))
            .Message.ShouldStartWith("UPDATE of public.orders sets tenant 'globex'");
    }

    [Test]
    public void Uuid_and_integer_tenants_are_compared_as_values()
    {
        using (var conn = _tenants.Open(OracleCorpus.AcmeUuid.ToUpperInvariant()))
        using (var transaction = conn.BeginTransaction())
        {
            conn.Execute("insert into \"Invoices\" values (@T, 70, 'n')", new { T = Guid.Parse(OracleCorpus.AcmeUuid) }, transaction).ShouldBe(1);
            Should.Throw<TenantGuardException>(() => conn.Execute("insert into \"Invoices\" values (@T, 71, 'n')", new { T = Guid.Empty }, transaction))
                .FoundTenant.ShouldBe("00000000-0000-0000-0000-000000000000");
        }

        using (var conn = _tenants.Open("042"))
        using (var transaction = conn.BeginTransaction())
        {
            conn.Execute("insert into accounts values (72, 'n', 42)", transaction: transaction).ShouldBe(1);
            Should.Throw<TenantGuardException>(() => conn.Execute("insert into accounts values (73, 'n', '7')", transaction: transaction))
                .FoundTenant.ShouldBe("7");
        }
    }

    private static readonly object[] TamperCases =
    [
        new object[] { "set dapper_tenants.tenant = 'globex'", "SET", "set statement_timeout = 1000" },
        new object[] { "set local dapper_tenants.tenant = 'globex'", "SET LOCAL", "set local statement_timeout = 1000" },
        new object[] { "set session dapper_tenants.tenant to 'globex'", "SET SESSION", "set session statement_timeout to 1000" },
        new object[] { "reset dapper_tenants.tenant", "RESET", "reset statement_timeout" },
        new object[] { "reset all", "RESET ALL", "reset application_name" },
        new object[] { "discard all", "DISCARD ALL", "discard plans" },
        new object[] { "select set_config('dapper_tenants.tenant', 'globex', false)", "set_config", "select set_config('application_name', 'x', false)" },
        new object[] { "select set_config(lower('DAPPER_TENANTS.TENANT'), 'globex', true)", "set_config", "select set_config('application_name', lower('X'), true)" },
        new object[] { "select set_config('role', current_user, false)", "set_config", "select current_setting('role')" },
        new object[] { "update pg_settings set setting = 'globex' where name = 'dapper_tenants.tenant'", "UPDATE", "update pg_settings set setting = '1000' where name = 'statement_timeout'" },
        new object[] { "set role {owner}", "SET ROLE", "reset role" },
        new object[] { "set session authorization {owner}", "SET SESSION AUTHORIZATION", "reset session authorization" },
    ];

    [TestCaseSource(nameof(TamperCases))]
    public void Tampering_is_refused_and_its_legal_twin_runs(string tamper, string kind, string twin)
    {
        using var conn = _tenants.Open("acme");
        using var transaction = conn.BeginTransaction();
        var refusal = Should.Throw<TenantGuardException>(() => conn.Execute(tamper.Replace("{owner}", _database.OwnerRole, StringComparison.Ordinal), transaction: transaction));
        refusal.StatementKind.ShouldBe(kind);
        refusal.ConnectionTenant.ShouldBe("acme");

        Should.NotThrow(() => conn.Execute(twin, transaction: transaction));
        conn.ExecuteScalar<string>("select current_setting('dapper_tenants.tenant')", transaction: transaction).ShouldBe("acme");
    }

    private static readonly object[] DdlCases =
    [
        new object[] { "alter table orders disable row level security", "ALTER TABLE", "alter table plain disable row level security" },
        new object[] { "alter table orders no force row level security", "ALTER TABLE", "alter table orders force row level security" },
        new object[] { "drop policy dapper_tenants_isolation on orders", "DROP POLICY", "drop policy open_to_all on plain" },
        new object[] { "alter policy dapper_tenants_isolation on orders using (true)", "ALTER POLICY", "alter policy open_to_all on plain using (true)" },
        new object[] { "create policy everything on orders using (true)", "CREATE POLICY", "create policy narrower on orders as restrictive using (total > 0)" },
        new object[] { "copy orders from stdin", "COPY FROM", "copy orders to '/tmp/dapper-tenants-never-written'" },
    ];

    [TestCaseSource(nameof(DdlCases))]
    public void Policy_changes_on_protected_tables_are_refused_and_their_twins_reach_the_database(string tamper, string kind, string twin)
    {
        using var conn = _tenants.Open("acme");
        Should.Throw<TenantGuardException>(() => conn.Execute(tamper)).StatementKind.ShouldBe(kind);

        // The twin passes the guard; the application login owns nothing, so PostgreSQL itself refuses it.
        Should.Throw<PostgresException>(() => conn.Execute(twin)).SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    [Test]
    public void PostgreSQL_itself_refuses_COPY_FROM_into_a_protected_table()
    {
        // Why refusing COPY FROM never blocks anything the database would do for a login that RLS applies to.
        using var conn = _tenants.Open("acme");
        var ex = Should.Throw<PostgresException>(() => conn.InnerConnection.BeginTextImport("copy orders (id, tenant) from stdin").Dispose());
        ex.SqlState.ShouldBe(PostgresErrorCodes.FeatureNotSupported);
    }

    private const string QueryTextSwitch =
        "select query_to_xml('select set_config(''dapper_tenants.tenant'', ''globex'', true)', false, false, ''); select tenant from orders";

    [Test]
    public async Task A_query_text_that_switches_tenants_is_refused_before_it_is_sent()
    {
        // Why: PostgreSQL runs the text, and the statement after it reads another tenant's rows.
        await using (var unguarded = _database.CreateTenantDataSource(configureOptions: o => o.GuardMode = TenantGuardMode.Off))
        await using (var conn = await unguarded.OpenAsync("acme"))
        {
            using var grid = await conn.QueryMultipleAsync(QueryTextSwitch);
            await grid.ReadAsync<string>();
            (await grid.ReadAsync<string>()).ShouldContain("globex");
        }

        await using var guarded = await _tenants.OpenAsync("acme");
        var before = await guarded.ExecuteScalarAsync<long>("select nextval('guard_probe')");
        (await Should.ThrowAsync<TenantGuardException>(() => guarded.QueryAsync<string>(QueryTextSwitch + "; select nextval('guard_probe')::text")))
            .StatementKind.ShouldBe("set_config");
        (await guarded.ExecuteScalarAsync<long>("select last_value from guard_probe")).ShouldBe(before);

        // A constant query the guard reads and finds clean runs.
        (await guarded.ExecuteScalarAsync<string>("select query_to_xml('select count(*) as n from orders', false, false, '')::text") ?? string.Empty)
            .ShouldContain($"<n>{OracleCorpus.SeedRows}</n>");
    }

    [Test]
    public async Task Turning_standard_conforming_strings_off_would_hide_statements_inside_what_the_guard_reads_as_a_string()
    {
        // Read with the default, the text is one string constant; read with backslash escapes, it is four statements.
        const string Hidden = "select 'x\\''; select set_config($$dapper_tenants.tenant$$, $$globex$$, true); select tenant from orders; select 1 --'";
        SqlLexer.Tokenize(Hidden).Count.ShouldBe(2);

        await using (var conn = await _tenants.OpenAsync("acme"))
        {
            // Through the unguarded escape hatch, to show what the refusal below prevents. The guard's reading (one
            // statement) decides how the text is sent: as one batch command, which PostgreSQL refuses when it finds four
            // statements in it. A wrong statement count fails closed.
            await conn.InnerConnection.ExecuteAsync("set standard_conforming_strings = off");
            (await Should.ThrowAsync<PostgresException>(() => conn.QueryMultipleAsync(Hidden))).SqlState.ShouldBe("42601");

            // The same text on a plain connection runs all four statements, the tenant switch included.
            await using var grid = await conn.InnerConnection.QueryMultipleAsync(Hidden);
            await grid.ReadAsync<string>();
            await grid.ReadAsync<string>();
            (await grid.ReadAsync<string>()).ShouldContain("globex");
        }

        await using var guarded = await _tenants.OpenAsync("acme");
        (await Should.ThrowAsync<TenantGuardException>(() => guarded.ExecuteAsync("set standard_conforming_strings = off"))).StatementKind.ShouldBe("SET");
        (await Should.ThrowAsync<TenantGuardException>(() => guarded.ExecuteAsync("select set_config('standard_conforming_strings', 'off', true)")))
            .StatementKind.ShouldBe("set_config");
        (await guarded.ExecuteScalarAsync<string>("show standard_conforming_strings")).ShouldBe("on");
    }

    [Test]
    public async Task Explain_analyze_is_refused_and_plain_explain_runs()
    {
        await using var conn = await _tenants.OpenAsync("acme");
        (await Should.ThrowAsync<TenantGuardException>(() => conn.QueryAsync<string>("explain (analyze, costs off) select * from orders where total > 0")))
            .StatementKind.ShouldBe("EXPLAIN ANALYZE");
        (await conn.QueryAsync<string>("explain (costs off) select * from orders where total > 0")).ShouldNotBeEmpty();

        await using var allowing = _database.CreateTenantDataSource(configureOptions: o => o.AllowExplainAnalyze = true);
        await using var analyzing = await allowing.OpenAsync("acme");
        (await analyzing.QueryAsync<string>("explain (analyze, costs off, timing off, summary off) select * from orders")).ShouldNotBeEmpty();
    }

    [Test]
    public async Task Tables_protected_later_are_guarded_after_RefreshCatalog()
    {
        await using var tenants = _database.CreateTenantDataSource();
        await using (var conn = await tenants.OpenAsync("acme"))
        {
            conn.Execute("select 1");
        }

        await _database.ExecuteAsOwnerAsync("""
            create table late (id int primary key, tenant text not null);
            alter table late enable row level security;
            create policy dapper_tenants_isolation on late
                using (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')::text))
                with check (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')::text));
            """);
        const string Sql = "insert into late values (1, 'globex')";
        await using (var conn = await tenants.OpenAsync("acme"))
        {
            (await Should.ThrowAsync<PostgresException>(() => conn.ExecuteAsync(Sql))).SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        }

        tenants.RefreshCatalog();
        await using (var conn = await tenants.OpenAsync("acme"))
        {
            (await Should.ThrowAsync<TenantGuardException>(() => conn.ExecuteAsync(Sql))).Table.ShouldBe("public.late");
        }
    }
}
