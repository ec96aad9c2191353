using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Cli.Tests;

/// <summary>
/// plan, apply and script over the sample assembly (Invoice → invoices.tenant, Project → projects.tenant_id).
/// These run the real <see cref="PolicyInstaller"/>: the CLI only loads the assembly, calls it and shows the plan.
/// </summary>
[Category(Categories.Database)]
public class PolicyCommandTests
{
    private const string Tables = """
        create table invoices (tenant text not null, id int not null, amount numeric(10,2) not null, primary key (tenant, id));
        create table projects (tenant_id text not null, id int not null, name text not null, primary key (tenant_id, id));
        """;

    [Test]
    public async Task Script_prints_the_DDL_for_both_types_without_a_connection()
    {
        var run = await CliRun.RunAsync("script", "--assembly", CliRun.SampleAssembly);
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Err.ShouldBeEmpty();
        foreach (var table in new[] { "invoices", "projects" })
        {
            run.Out.ShouldContain($"ENABLE ROW LEVEL SECURITY", Case.Insensitive);
            run.Out.ShouldContain(table, Case.Sensitive);
        }

        run.Out.ShouldContain("FORCE ROW LEVEL SECURITY", Case.Insensitive);
        run.Out.ShouldContain("CREATE POLICY", Case.Insensitive);
        run.Out.ShouldContain("dapper_tenants.tenant", Case.Sensitive);
        run.Out.ShouldNotContain("unprotected", Case.Insensitive, "only [Rls] types are scripted");
    }

    [Test]
    public async Task Script_with_harden_adds_the_hardening_section_and_keep_temporary_needs_harden()
    {
        var run = await CliRun.RunAsync("script", "--assembly", CliRun.SampleAssembly, "--grant-to", "app_login", "--harden", "--keep-temporary", "reporting");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Out.ShouldContain("-- Hardening (PolicyInstaller.Harden()): what the app login may do besides reading and writing rows.");
        run.Out.ShouldContain("EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM %I', current_database(), 'app_login');");
        run.Out.ShouldContain("EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO %I', current_database(), 'reporting');");
        run.Out.ShouldContain("REVOKE CREATE ON SCHEMA \"public\" FROM \"app_login\";");
        run.Out.ShouldContain("REVOKE EXECUTE ON FUNCTION pg_catalog.query_to_xml(text, boolean, boolean, text) FROM PUBLIC;");

        var plain = await CliRun.RunAsync("script", "--assembly", CliRun.SampleAssembly);
        plain.Out.ShouldNotContain("Hardening");

        var keepAlone = await CliRun.RunAsync("script", "--assembly", CliRun.SampleAssembly, "--keep-temporary", "reporting");
        keepAlone.ExitCode.ShouldBe(2, keepAlone.ToString());
        keepAlone.Err.ShouldContain("--keep-temporary needs --harden.");
    }

    [Test]
    public async Task Script_with_citus_distributes_both_tables_and_refuses_the_signed_context()
    {
        var run = await CliRun.RunAsync("script", "--assembly", CliRun.SampleAssembly, "--grant-to", "app_login", "--citus");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Out.ShouldContain("USING (\"tenant\" = NULLIF(current_setting('dapper_tenants.tenant', true), '')::text)");
        run.Out.ShouldContain("""
            SELECT create_distributed_table('"public"."invoices"', 'tenant')
            WHERE NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = '"public"."invoices"'::regclass);
            SELECT create_distributed_table('"public"."projects"', 'tenant_id', colocate_with => '"public"."invoices"')
            WHERE NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = '"public"."projects"'::regclass);
            """);
        run.Out.ShouldContain("ALTER ROLE \"app_login\" SET citus.propagate_set_commands = 'local';");
        (await CliRun.RunAsync("script", "--assembly", CliRun.SampleAssembly)).Out.ShouldNotContain("create_distributed_table");

        var signed = await CliRun.RunAsync("script", "--assembly", CliRun.SampleAssembly, "--citus", "--retire-signing-key", "old");
        signed.ExitCode.ShouldBe(1, signed.ToString());
        signed.Err.ShouldStartWith("error: PolicyInstaller.UseCitus() cannot be combined with the signed context");
        signed.Out.ShouldBeEmpty();
    }

    [Test]
    public async Task Script_uses_the_given_setting_name()
    {
        var run = await CliRun.RunAsync("script", "--assembly", CliRun.SampleAssembly, "--setting", "app.tenant_id");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Out.ShouldContain("app.tenant_id");
        run.Out.ShouldNotContain("dapper_tenants.tenant");
    }

    [Test]
    public async Task The_script_runs_on_a_database_and_a_plan_afterwards_finds_no_drift()
    {
        await using var database = await TestServer.CreateDatabaseAsync("cli_script");
        await database.ExecuteAsOwnerAsync(Tables);
        var script = await CliRun.RunAsync("script", "--assembly", CliRun.SampleAssembly);
        await database.ExecuteAsOwnerAsync(script.Out);
        var plan = await CliRun.RunAsync("plan", "--assembly", CliRun.SampleAssembly, "--connection", database.OwnerConnectionString);
        plan.ExitCode.ShouldBe(0, plan.ToString());
    }

    [Test]
    public async Task Plan_reports_drift_with_exit_1_and_changes_nothing()
    {
        await using var database = await TestServer.CreateDatabaseAsync("cli_plan");
        await database.ExecuteAsOwnerAsync(Tables);
        var run = await CliRun.RunAsync("plan", "--assembly", CliRun.SampleAssembly, "--connection", database.OwnerConnectionString);
        run.ExitCode.ShouldBe(1, run.ToString());
        run.Out.ShouldStartWith("2 [Rls] types in DapperTenants.Cli.Sample.dll: Invoice, Project (setting dapper_tenants.tenant)");
        run.Out.ShouldContain("\"invoices\"");
        run.Out.ShouldContain("\"projects\"");
        run.Out.ShouldContain("SQL to apply:");
        run.Out.ShouldContain("steps to apply.");
        run.Err.ShouldBeEmpty();
        (await RlsEnabledAsync(database, "invoices")).ShouldBeFalse("plan changes nothing");
    }

    [Test]
    public async Task Apply_protects_the_tables_and_a_second_plan_finds_no_drift()
    {
        await using var database = await TestServer.CreateDatabaseAsync("cli_apply");
        await database.ExecuteAsOwnerAsync(Tables);
        var apply = await CliRun.RunAsync("apply", "--assembly", CliRun.SampleAssembly, "--connection", database.OwnerConnectionString);
        apply.ExitCode.ShouldBe(0, apply.ToString());
        apply.Out.ShouldContain("Applying the policies of 2 [Rls] types…");
        apply.Out.ShouldContain("Applied ");
        (await RlsEnabledAsync(database, "invoices")).ShouldBeTrue();
        (await RlsEnabledAsync(database, "projects")).ShouldBeTrue();

        var plan = await CliRun.RunAsync("plan", "--assembly", CliRun.SampleAssembly, "--connection", database.OwnerConnectionString);
        plan.ExitCode.ShouldBe(0, plan.ToString());
        plan.Out.ShouldContain("No drift: the database matches the [Rls] types.");

        var again = await CliRun.RunAsync("apply", "--assembly", CliRun.SampleAssembly, "--connection", database.OwnerConnectionString);
        again.ExitCode.ShouldBe(0, again.ToString());
        again.Out.ShouldContain("Nothing to apply: the database already matches the [Rls] types.");
    }

    [Test]
    public async Task Applied_policies_isolate_tenants_for_the_app_login()
    {
        await using var database = await TestServer.CreateDatabaseAsync("cli_isolation");
        await database.ExecuteAsOwnerAsync(Tables);
        (await CliRun.RunAsync("apply", "-a", CliRun.SampleAssembly, "-c", database.OwnerConnectionString)).ExitCode.ShouldBe(0);
        await database.ExecuteAsAdminAsync("insert into invoices values ('acme', 1, 10), ('globex', 2, 20)");
        await using var tenants = database.CreateTenantDataSource();
        await using var acme = await tenants.OpenAsync("acme");
        (await acme.QueryAsync<int>("select id from invoices")).ShouldBe([1]);
    }

    [Test]
    public async Task Apply_with_setting_and_grant_to_uses_both()
    {
        await using var database = await TestServer.CreateDatabaseAsync("cli_grant");
        await database.ExecuteAsOwnerAsync(Tables);
        var reader = database.AppRole + "_reader";
        await database.ExecuteAsAdminAsync($"""create role "{reader}" nologin""");
        try
        {
            var run = await CliRun.RunAsync("apply", "--assembly", CliRun.SampleAssembly, "--connection", database.OwnerConnectionString,
                "--setting", "app.tenant_id", "--grant-to", reader);
            run.ExitCode.ShouldBe(0, run.ToString());
            run.Out.ShouldContain("(setting app.tenant_id)");
            await using var admin = NpgsqlDataSource.Create(database.AdminConnectionString);
            (await admin.CreateCommand("select string_agg(pg_get_expr(polqual, polrelid), ' ') from pg_policy where polrelid = 'invoices'::regclass")
                .ExecuteScalarAsync() as string ?? string.Empty).ShouldContain("app.tenant_id");
            await using var command = admin.CreateCommand($"select has_table_privilege('{reader}', 'invoices', 'SELECT')");
            ((bool)(await command.ExecuteScalarAsync())!).ShouldBeTrue();
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await database.ExecuteAsAdminAsync($"""drop owned by "{reader}"; drop role "{reader}";""");
        }
    }

    [Test]
    public async Task Plan_against_a_database_without_the_tables_fails_with_exit_1()
    {
        await using var database = await TestServer.CreateDatabaseAsync("cli_missing");
        var run = await CliRun.RunAsync("plan", "--assembly", CliRun.SampleAssembly, "--connection", database.OwnerConnectionString);
        run.ExitCode.ShouldBe(1, run.ToString());
        (run.Out + run.Err).ShouldContain("invoices");
    }

    private static async Task<bool> RlsEnabledAsync(TestDatabase database, string table)
    {
        await using var admin = NpgsqlDataSource.Create(database.AdminConnectionString);
        await using var command = admin.CreateCommand($"select relrowsecurity and relforcerowsecurity from pg_class where oid = '{table}'::regclass");
        return (bool)(await command.ExecuteScalarAsync())!;
    }
}
