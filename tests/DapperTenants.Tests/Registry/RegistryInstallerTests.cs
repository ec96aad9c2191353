using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Registry;

/// <summary>
/// <see cref="PolicyInstaller.UseTenantRegistry()"/>: the registry in the plan and the script like every other step,
/// owned by the owner, readable by the app login, writable by nobody else, whoever tries.
/// </summary>
[Category(Categories.Database)]
public class RegistryInstallerTests
{
    private const string Table = "\"dapper_tenants\".\"tenants\"";

    private static async Task<PostgresException> RefusedAsync(NpgsqlConnection app, string sql) =>
        await Should.ThrowAsync<PostgresException>(() => app.ExecuteAsync(sql));

    [Test]
    public async Task The_plan_creates_the_registry_and_grants_the_app_login_read_only_then_finds_nothing_to_do()
    {
        await using var db = await OrdersDatabase.CreateAsync("registry_plan");
        var app = db.Database.AppRole;
        var installer = new PolicyInstaller(db.Owner).UseTenantRegistry().GrantTo(app);
        var plan = await installer.ApplyAsync();
        plan.Steps.Select(s => s.ToString()).ShouldBe([
            "\"dapper_tenants\": schema of the tenant registry missing",
            $"\"dapper_tenants\": role \"{app}\" lacks USAGE on the schema of the tenant registry",
            $"{Table}: tenant registry missing",
        ]);
        plan.Warnings.Where(w => w.Contains("tenant registry", StringComparison.Ordinal)).ShouldBeEmpty();
        plan.ToSql().ShouldContain($"GRANT SELECT ON TABLE {Table} TO \"{app}\";");
        plan.ToSql().ShouldNotContain("create_missing_tenant", Case.Sensitive, "the app login may not register tenants unless asked");
        (await installer.PlanAsync()).IsEmpty.ShouldBeTrue("a second run finds nothing to do");
        installer.Plan().IsEmpty.ShouldBeTrue();
    }

    [Test]
    public async Task The_app_login_reads_the_registry_but_cannot_make_itself_a_tenant()
    {
        await using var db = await RegistryDatabase.CreateAsync("registry_attack");
        await using var app = await db.OpenAppAsync();
        (await app.QueryAsync<string>("select id from dapper_tenants.tenants order by id")).ShouldBe(["acme", "globex"], "the control: it may read");
        foreach (var sql in new[]
        {
            "insert into dapper_tenants.tenants (id) values ('initech')",
            "update dapper_tenants.tenants set state = 'active', id = 'initech' where id = 'acme'",
            "delete from dapper_tenants.tenants",
            "truncate dapper_tenants.tenants",
            "select dapper_tenants.create_missing_tenant('initech')",
            "create table dapper_tenants.tenants_shadow (id text)",
        })
        {
            var refused = await RefusedAsync(app, sql);
            refused.SqlState.ShouldBeOneOf([PostgresErrorCodes.InsufficientPrivilege, PostgresErrorCodes.UndefinedFunction], sql);
        }

        (await db.Registry.ListAsync()).Tenants.Select(t => t.Tenant).ShouldBe(["acme", "globex"]);
    }

    [Test]
    public async Task Write_grants_from_default_privileges_never_reach_the_new_registry()
    {
        await using var db = await OrdersDatabase.CreateAsync("registry_defaults");
        var app = db.Database.AppRole;
        await db.Database.ExecuteAsOwnerAsync($"""
            ALTER DEFAULT PRIVILEGES GRANT INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO "{app}";
            ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO "{app}";
            """);
        await new PolicyInstaller(db.Owner).UseTenantRegistry().GrantTo(app).ApplyAsync();
        await using var registry = new RegistryDatabaseProbe(db);
        await using var connection = await registry.OpenAppAsync();
        (await RefusedAsync(connection, "insert into dapper_tenants.tenants (id) values ('initech')")).SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        (await RefusedAsync(connection, "truncate dapper_tenants.tenants")).SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    [Test]
    public async Task A_write_grant_added_later_is_found_and_revoked_by_the_next_plan()
    {
        await using var db = await RegistryDatabase.CreateAsync("registry_drift");
        var app = db.AppRole;
        await db.Orders.Database.ExecuteAsOwnerAsync($"""GRANT INSERT (id) ON dapper_tenants.tenants TO "{app}"; GRANT UPDATE ON dapper_tenants.tenants TO PUBLIC;""");
        await using (var before = await db.OpenAppAsync())
        {
            await before.ExecuteAsync("insert into dapper_tenants.tenants (id) values ('planted')"); // the control: the grant works
        }

        var installer = new PolicyInstaller(db.Owner).UseTenantRegistry().GrantTo(app);
        var plan = await installer.ApplyAsync();
        plan.Steps.Select(s => s.ToString()).ShouldBe([$"{Table}: PUBLIC may change the tenant registry", $"{Table}: role \"{app}\" may change the tenant registry"]);
        await using var after = await db.OpenAppAsync();
        (await RefusedAsync(after, "insert into dapper_tenants.tenants (id) values ('initech')")).SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        (await RefusedAsync(after, "update dapper_tenants.tenants set state = 'active'")).SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        (await installer.PlanAsync()).IsEmpty.ShouldBeTrue();
    }

    [Test]
    public async Task Read_only_access_drops_the_function_an_earlier_run_installed()
    {
        await using var db = await RegistryDatabase.CreateAsync("registry_drop", TenantRegistryAccess.CreateIfMissing);
        await using (var app = await db.OpenAppAsync())
        {
            (await app.ExecuteScalarAsync<string>("select dapper_tenants.create_missing_tenant('initech')")).ShouldBe("active", "the control: allowed, it registers");
        }

        var plan = await new PolicyInstaller(db.Owner).UseTenantRegistry().GrantTo(db.AppRole).ApplyAsync();
        plan.Steps.Select(s => s.ToString()).ShouldBe(["\"dapper_tenants\".\"create_missing_tenant\"(text): the app login may register tenants, but UseTenantRegistry did not allow it"]);
        await using var later = await db.OpenAppAsync();
        (await RefusedAsync(later, "select dapper_tenants.create_missing_tenant('hooli')")).SqlState.ShouldBe(PostgresErrorCodes.UndefinedFunction);
    }

    [Test]
    public async Task Only_the_granted_roles_may_register_tenants_and_never_change_an_existing_one()
    {
        await using var db = await RegistryDatabase.CreateAsync("registry_function", TenantRegistryAccess.CreateIfMissing);
        var other = db.Orders.Database.Name + "_other";
        await db.Orders.Database.ExecuteAsAdminAsync($"""
            CREATE ROLE "{other}" LOGIN PASSWORD '{db.Orders.Database.Password}' NOSUPERUSER NOBYPASSRLS;
            GRANT CONNECT ON DATABASE "{db.Orders.Database.Name}" TO "{other}";
            GRANT USAGE ON SCHEMA dapper_tenants TO "{other}";
            """);
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(db.Orders.Database.AppConnectionString) { Username = other, Pooling = false };
            await using (var stranger = new NpgsqlConnection(builder.ConnectionString))
            {
                await stranger.OpenAsync();
                (await RefusedAsync(stranger, "select dapper_tenants.create_missing_tenant('initech')")).SqlState
                    .ShouldBe(PostgresErrorCodes.InsufficientPrivilege, "PUBLIC lost EXECUTE: only the GrantTo roles may call it");
            }

            await db.Registry.DisableAsync(OrdersDatabase.Globex, "suspended");
            await using var app = await db.OpenAppAsync();
            (await app.ExecuteScalarAsync<string>("select dapper_tenants.create_missing_tenant('globex')")).ShouldBe("disabled");
            (await db.Registry.FindAsync(OrdersDatabase.Globex))!.State.ShouldBe(TenantState.Disabled, "the function never re-enables a tenant");
            (await RefusedAsync(app, "select dapper_tenants.create_missing_tenant('')")).SqlState.ShouldBe(PostgresErrorCodes.CheckViolation);
        }
        finally
        {
            await db.Orders.Database.ExecuteAsAdminAsync($"""DROP OWNED BY "{other}"; DROP ROLE "{other}";""");
        }
    }

    [Test]
    public async Task The_script_leaves_the_state_applying_leaves()
    {
        await using var db = await OrdersDatabase.CreateAsync("registry_script");
        var app = db.Database.AppRole;
        var installer = new PolicyInstaller(db.Owner).UseTenantRegistry(TenantRegistryAccess.CreateIfMissing).GrantTo(app);
        var script = installer.Script();
        script.ShouldContain("-- Tenant registry (PolicyInstaller.UseTenantRegistry())");
        await db.Database.ExecuteAsOwnerAsync(script);
        await db.Database.ExecuteAsOwnerAsync(script); // re-runnable
        (await installer.PlanAsync()).IsEmpty.ShouldBeTrue((await installer.PlanAsync()).ToString());
        var readOnly = new PolicyInstaller(db.Owner).UseTenantRegistry().GrantTo(app);
        await db.Database.ExecuteAsOwnerAsync(readOnly.Script());
        (await readOnly.PlanAsync()).IsEmpty.ShouldBeTrue("the read-only script drops the function");
    }

    [Test]
    public async Task With_the_signed_context_the_schema_is_created_once()
    {
        await using var db = await OrdersDatabase.CreateAsync("registry_signed");
        var plan = await new PolicyInstaller(db.Owner).UseSignedContext(Signed.SignedDatabase.Key).UseTenantRegistry().GrantTo(db.Database.AppRole).PlanAsync();
        plan.Steps.Count(s => s.Sql.StartsWith("CREATE SCHEMA", StringComparison.Ordinal)).ShouldBe(1, plan.ToString());
        plan.Steps.Count(s => s.Sql.StartsWith("GRANT USAGE ON SCHEMA \"dapper_tenants\"", StringComparison.Ordinal)).ShouldBe(1, plan.ToString());
        plan.HasErrors.ShouldBeFalse(plan.ToString());
    }

    [Test]
    public async Task Without_a_grantee_the_plan_warns_that_strict_mode_cannot_read_the_registry()
    {
        await using var db = await OrdersDatabase.CreateAsync("registry_nogrant");
        var plan = await new PolicyInstaller(db.Owner).UseTenantRegistry().PlanAsync();
        plan.Warnings.Where(w => w.Contains("tenant registry", StringComparison.Ordinal)).ShouldBe([
            "No role was given to GrantTo, so only the owner may read the tenant registry \"dapper_tenants\".\"tenants\": a data source with "
            + "TenantOptions.RequireRegisteredTenant opens no tenant until its login may. Call GrantTo(\"<login>\") (dapper-tenants --grant-to), or run: "
            + "GRANT USAGE ON SCHEMA \"dapper_tenants\" TO \"<the application's login>\"; GRANT SELECT ON TABLE \"dapper_tenants\".\"tenants\" TO \"<the application's login>\";",
        ]);
    }

    [Test]
    public async Task The_audit_does_not_take_the_registry_for_a_tenant_table()
    {
        await using var db = await RegistryDatabase.CreateAsync("registry_audit");
        var report = await new TenantAudit(db.Owner).RunAsync();
        report.Tables.Select(t => t.Name).ShouldNotContain(Table);
        report.Findings.Where(f => f.Target.Contains("tenants", StringComparison.Ordinal)).ShouldBeEmpty();
        report.Tables.Select(t => t.Name).ShouldContain("public.orders", "the control: the audit sees the tenant table");
    }

    /// <summary>Opens app-login connections on a bare orders database.</summary>
    private sealed class RegistryDatabaseProbe(OrdersDatabase db) : IAsyncDisposable
    {
        public async Task<NpgsqlConnection> OpenAppAsync()
        {
            var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db.Database.AppConnectionString) { Pooling = false }.ConnectionString);
            await connection.OpenAsync();
            return connection;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
