using System.Diagnostics;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Policies;

/// <summary>
/// <see cref="PolicyInstaller.Harden"/>: the app login loses TEMPORARY, CREATE on the tables' schemas and the
/// SQL-executing built-ins, by plan and apply where the installer's login has the right, by script where the script's
/// login has it, and with the exact statements to run where it has not.
/// </summary>
[Category(Categories.Database)]
[NonParallelizable]
public class HardeningTests
{
    private const string Setup = """
        create table hardened_orders (tenant text not null, id int not null, primary key (tenant, id));
        """;

    private const string BuiltInRevokes =
        "REVOKE EXECUTE ON FUNCTION pg_catalog.cursor_to_xml(refcursor, integer, boolean, boolean, text) FROM PUBLIC; "
        + "REVOKE EXECUTE ON FUNCTION pg_catalog.cursor_to_xmlschema(refcursor, boolean, boolean, text) FROM PUBLIC; "
        + "REVOKE EXECUTE ON FUNCTION pg_catalog.query_to_xml(text, boolean, boolean, text) FROM PUBLIC; "
        + "REVOKE EXECUTE ON FUNCTION pg_catalog.query_to_xml_and_xmlschema(text, boolean, boolean, text) FROM PUBLIC; "
        + "REVOKE EXECUTE ON FUNCTION pg_catalog.query_to_xmlschema(text, boolean, boolean, text) FROM PUBLIC; "
        + "REVOKE EXECUTE ON FUNCTION pg_catalog.ts_rewrite(tsquery, text) FROM PUBLIC; "
        + "REVOKE EXECUTE ON FUNCTION pg_catalog.ts_stat(text) FROM PUBLIC; "
        + "REVOKE EXECUTE ON FUNCTION pg_catalog.ts_stat(text, text) FROM PUBLIC;";

    [Rls("hardened_orders")]
    public sealed class HardenedOrder
    {
        public string Tenant { get; set; } = string.Empty;

        public int Id { get; set; }
    }

    [Test]
    public async Task Apply_as_the_owner_revokes_temporary_and_create_and_says_what_a_superuser_must_run_for_the_built_ins()
    {
        await using var database = await CreateAsync("harden_owner");
        await database.ExecuteAsAdminAsync($"""
            grant temporary on database "{database.Name}" to public;
            grant create on schema public to public;
            grant create on schema public to "{database.AppRole}";
            """);
        (await RightsAsync(database)).ShouldBe((true, true, true), "the control: the app login starts with every right");
        await using var owner = database.CreateOwnerDataSource();
        var installer = new PolicyInstaller(owner).Add<HardenedOrder>().GrantTo(database.AppRole).Harden();

        var plan = await installer.ApplyAsync();

        plan.Steps.Where(s => s.Reason.StartsWith("the app login", StringComparison.Ordinal)).Select(s => s.Sql).ShouldBe(
        [
            $"REVOKE TEMPORARY ON DATABASE {database.Name} FROM PUBLIC;\nREVOKE TEMPORARY ON DATABASE {database.Name} FROM \"{database.AppRole}\";",
            $"REVOKE CREATE ON SCHEMA \"public\" FROM PUBLIC;\nREVOKE CREATE ON SCHEMA \"public\" FROM \"{database.AppRole}\";",
        ]);
        var superuser = new NpgsqlConnectionStringBuilder(database.OwnerConnectionString).Username;
        plan.Warnings.ShouldContain(
            "PUBLIC may execute built-ins that run a query given as text (query_to_xml and kin, ts_stat, ts_rewrite, cursor_to_xml), so SQL in a string "
            + $"can change the tenant setting. Revoking them needs a superuser (they belong to the bootstrap superuser; \"{superuser}\" is not one). "
            + $"As a superuser, run in this database: {BuiltInRevokes}");
        (await RightsAsync(database)).ShouldBe((false, false, true));
        (await installer.PlanAsync()).Steps.ShouldBeEmpty("a second run has nothing left to harden");
    }

    [Test]
    public async Task Apply_as_a_superuser_also_revokes_the_built_ins_and_keeps_temporary_for_the_roles_given()
    {
        await using var database = await CreateAsync("harden_admin");
        var reporting = database.Name + "_reporting";
        await database.ExecuteAsAdminAsync($"""create role "{reporting}" nologin; grant temporary on database "{database.Name}" to public;""");
        try
        {
            await using var admin = NpgsqlDataSource.Create(database.AdminConnectionString);
            var plan = await new PolicyInstaller(admin).Add<HardenedOrder>().GrantTo(database.AppRole).Harden(reporting).ApplyAsync();

            plan.Steps.Single(s => s.Target == "pg_catalog").Sql.ShouldBe(BuiltInRevokes.Replace("; ", ";\n", StringComparison.Ordinal));
            plan.Steps.Single(s => s.Reason == "the app login may create temporary objects").Sql.ShouldContain($"GRANT TEMPORARY ON DATABASE {database.Name} TO \"{reporting}\";");
            (await RightsAsync(database)).ShouldBe((false, false, false));
            await using var probe = new NpgsqlConnection(database.AdminConnectionString);
            (await probe.ExecuteScalarAsync<bool>($"select has_database_privilege('{reporting}', current_database(), 'TEMP')")).ShouldBeTrue();
        }
        finally
        {
            await database.ExecuteAsAdminAsync($"""revoke all on database "{database.Name}" from "{reporting}"; drop role "{reporting}";""");
        }
    }

    [Test]
    public async Task The_script_hardens_what_its_login_may_and_warns_with_the_statements_for_the_rest()
    {
        await using var database = await CreateAsync("harden_script");
        await database.ExecuteAsAdminAsync($"""grant create on schema public to "{database.AppRole}";""");
        await using var owner = database.CreateOwnerDataSource();
        var script = new PolicyInstaller(owner).Add<HardenedOrder>().GrantTo(database.AppRole).Harden().Script();

        var asOwner = await RunPsqlAsync(database.OwnerConnectionString, script);
        (await RightsAsync(database)).ShouldBe((false, false, true), "the owner may revoke TEMPORARY and CREATE, not the built-ins");
        asOwner.ShouldContain("WARNING:  DapperTenants hardening: ");
        asOwner.ShouldContain("is not a superuser, so PUBLIC keeps EXECUTE on the SQL-executing built-ins. As a superuser, run in this database: " + BuiltInRevokes);

        var asAdmin = await RunPsqlAsync(database.AdminConnectionString, script);
        (await RightsAsync(database)).ShouldBe((false, false, false));
        asAdmin.ShouldNotContain("WARNING");
    }

    [Test]
    public async Task The_audit_of_a_hardened_database_has_no_hardening_finding()
    {
        await using var database = await CreateAsync("harden_audit");
        await database.ExecuteAsAdminAsync($"""grant create on schema public to "{database.AppRole}";""");
        await using var admin = NpgsqlDataSource.Create(database.AdminConnectionString);
        var options = new TenantAuditOptions { AppRole = database.AppRole };
        string[] hardening = [AuditCodes.AppRoleTemporary, AuditCodes.AppRoleSqlExecutingBuiltIns, AuditCodes.AppRoleCreatesOnSearchPath];
        (await new TenantAudit(admin, options).RunAsync()).Findings.Select(f => f.Code).Where(hardening.Contains).ShouldBe(hardening, "the control");

        await new PolicyInstaller(admin).Add<HardenedOrder>().GrantTo(database.AppRole).Harden().ApplyAsync();

        (await new TenantAudit(admin, options).RunAsync()).Findings.Select(f => f.Code).Where(hardening.Contains).ShouldBeEmpty();
    }

    [Test]
    public async Task The_plan_warns_about_a_unique_index_that_does_not_lead_on_the_tenant_column()
    {
        await using var database = await TestServer.CreateDatabaseAsync("harden_unique");
        await database.ExecuteAsOwnerAsync("create table hardened_orders (tenant text not null, id int primary key, email text, unique (tenant, email));");
        await using var owner = database.CreateOwnerDataSource();

        var plan = await new PolicyInstaller(owner).Add<HardenedOrder>().PlanAsync();

        plan.Warnings.ShouldContain(w => w.StartsWith("\"public\".\"hardened_orders\": the primary key hardened_orders_pkey does not lead on the tenant column \"tenant\".", StringComparison.Ordinal));
        plan.Warnings.ShouldNotContain(w => w.Contains("hardened_orders_tenant_email_key", StringComparison.Ordinal));
    }

    /// <summary>A database with the table, where the test kit's REVOKE ALL FROM PUBLIC has taken TEMPORARY from PUBLIC; the app login holds it.</summary>
    private static async Task<TestDatabase> CreateAsync(string prefix)
    {
        var database = await TestServer.CreateDatabaseAsync(prefix);
        await database.ExecuteAsOwnerAsync(Setup);
        return database;
    }

    /// <summary>Whether the app login may create temporary objects, create in public, and execute query_to_xml.</summary>
    private static async Task<(bool Temporary, bool Create, bool QueryToXml)> RightsAsync(TestDatabase database)
    {
        await using var admin = new NpgsqlConnection(database.AdminConnectionString);
        return await admin.QuerySingleAsync<(bool, bool, bool)>("""
            select has_database_privilege(@App, current_database(), 'TEMP'), has_schema_privilege(@App, 'public', 'CREATE'),
                   has_function_privilege(@App, 'pg_catalog.query_to_xml(text, boolean, boolean, text)', 'EXECUTE')
            """, new { App = database.AppRole });
    }

    /// <summary>Runs a script with psql in one transaction and returns what psql printed on standard error.</summary>
    private static async Task<string> RunPsqlAsync(string connectionString, string script)
    {
        var path = Path.Combine(Path.GetTempPath(), $"dapper-tenants-harden-{Guid.NewGuid():N}.sql");
        await File.WriteAllTextAsync(path, script);
        try
        {
            var connection = new NpgsqlConnectionStringBuilder(connectionString);
            var start = new ProcessStartInfo("psql") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", path })
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["PGHOST"] = connection.Host;
            start.Environment["PGPORT"] = connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["PGDATABASE"] = connection.Database;
            start.Environment["PGUSER"] = connection.Username;
            start.Environment["PGPASSWORD"] = connection.Password;
            using var process = Process.Start(start) ?? throw new InvalidOperationException("psql did not start; install the PostgreSQL client.");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            process.ExitCode.ShouldBe(0, await stderr + await stdout);
            return await stderr;
        }
        finally
        {
            File.Delete(path);
        }
    }
}
