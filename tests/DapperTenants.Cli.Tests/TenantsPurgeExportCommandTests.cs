using System.IO.Compression;
using DapperTenants.Cli;
using DapperTenants.Cli.Sample;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Cli.Tests;

/// <summary>
/// <c>tenants purge</c> and <c>tenants export</c> on the sample's two tables (invoices ← projects through a blocking
/// foreign key) with the tenant registry: each test gets its own database with acme (disabled) and globex (active).
/// </summary>
[Category(Categories.Database)]
public class TenantsPurgeExportCommandTests
{
    private static async Task<TestDatabase> CreateAsync(string prefix)
    {
        var database = await TestServer.CreateDatabaseAsync(prefix);
        await database.ExecuteAsOwnerAsync("""
            create table invoices (tenant text not null, id int not null, amount numeric(10,2) not null, primary key (tenant, id));
            create table projects (tenant_id text not null, id int not null, name text not null, invoice_id int,
                                   primary key (tenant_id, id), foreign key (tenant_id, invoice_id) references invoices (tenant, id));
            """);
        await using var owner = database.CreateOwnerDataSource();
        var plan = await new PolicyInstaller(owner).Add<Invoice>().Add<Project>().UseTenantRegistry().GrantTo(database.AppRole).ApplyAsync();
        plan.HasErrors.ShouldBeFalse(plan.ToString());
        var registry = new TenantRegistry(owner);
        await registry.CreateAsync("acme");
        await registry.CreateAsync("globex");
        await registry.DisableAsync("acme", "contract ended");
        await database.ExecuteAsAdminAsync("""
            insert into invoices select t, g, g from unnest(array['acme', 'globex']) t, generate_series(1, 5) g;
            insert into projects select t, g, 'project ' || g, g from unnest(array['acme', 'globex']) t, generate_series(1, 3) g;
            """);
        return database;
    }

    private static async Task<long> CountAsync(TestDatabase database, string tenant)
    {
        await using var admin = NpgsqlDataSource.Create(database.AdminConnectionString);
        await using var connection = await admin.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(
            "select (select count(*) from invoices where tenant = @tenant) + (select count(*) from projects where tenant_id = @tenant)", new { tenant });
    }

    private static async Task<CliRun> RunWithInputAsync(string input, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var terminal = new StringReader(input);
        var exitCode = await CliApp.RunAsync(args, output, error, terminal);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }

    [Test]
    public async Task A_dry_run_lists_the_tables_referencing_first_with_their_rows_and_deletes_nothing()
    {
        await using var database = await CreateAsync("cli_purge_dry");

        var run = await CliRun.RunAsync("tenants", "purge", "acme", "--dry-run", "--json", "-c", database.OwnerConnectionString);

        run.ExitCode.ShouldBe(0, run.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(run.Out);
        json.RootElement.GetProperty("dryRun").GetBoolean().ShouldBeTrue();
        json.RootElement.GetProperty("state").GetString().ShouldBe("disabled");
        json.RootElement.GetProperty("totalRows").GetInt64().ShouldBe(8);
        json.RootElement.GetProperty("tables").EnumerateArray().Select(t => t.GetProperty("table").GetString() + "=" + t.GetProperty("rows").GetInt64())
            .ShouldBe(["public.projects=3", "public.invoices=5"]);
        (await CountAsync(database, "acme")).ShouldBe(8);

        var text = await CliRun.RunAsync("tenants", "purge", "acme", "--dry-run", "-c", database.OwnerConnectionString);
        text.ExitCode.ShouldBe(0, text.ToString());
        text.Out.ShouldContain("Purge of tenant 'acme' (disabled): 8 rows in 2 tables, deleted in this order:");
        text.Out.ShouldContain("Dry run: nothing was deleted.");
    }

    [Test]
    public async Task Without_a_terminal_and_without_yes_the_purge_is_refused_with_exit_2()
    {
        await using var database = await CreateAsync("cli_purge_noterm");

        var run = await CliRun.RunAsync("tenants", "purge", "acme", "-c", database.OwnerConnectionString);

        run.ExitCode.ShouldBe(ExitCodes.Usage, run.ToString());
        run.Err.Trim().ShouldBe("error: refusing to purge tenant 'acme' (8 rows) without confirmation: standard input is not a terminal. "
            + "Run with --dry-run to see what would go, and with --yes to purge without asking.");
        (await CountAsync(database, "acme")).ShouldBe(8);
    }

    [Test]
    public async Task On_a_terminal_the_purge_runs_only_when_the_tenants_name_is_typed()
    {
        await using var database = await CreateAsync("cli_purge_confirm");

        var wrong = await RunWithInputAsync("globex\n", "tenants", "purge", "acme", "-c", database.OwnerConnectionString);
        wrong.ExitCode.ShouldBe(ExitCodes.Failure, wrong.ToString());
        wrong.Out.ShouldContain("Type the tenant's name (acme) to delete its 8 rows for good:");
        wrong.Err.Trim().ShouldBe("error: not confirmed; nothing of tenant 'acme' was deleted.");
        (await CountAsync(database, "acme")).ShouldBe(8);

        var typed = await RunWithInputAsync("acme\n", "tenants", "purge", "acme", "-c", database.OwnerConnectionString, "--chunk-size", "2");
        typed.ExitCode.ShouldBe(0, typed.ToString());
        typed.Out.ShouldContain("Purged tenant 'acme': 8 rows deleted from 2 tables; its registry state is purged.");
        (await CountAsync(database, "acme")).ShouldBe(0);
        (await CountAsync(database, "globex")).ShouldBe(8);
    }

    [Test]
    public async Task With_yes_and_json_the_purge_reports_the_rows_deleted_and_an_active_tenant_is_refused()
    {
        await using var database = await CreateAsync("cli_purge_yes");

        var active = await CliRun.RunAsync("tenants", "purge", "globex", "--yes", "-c", database.OwnerConnectionString);
        active.ExitCode.ShouldBe(ExitCodes.Failure, active.ToString());
        active.Err.ShouldStartWith("error: Tenant 'globex' is active: only a disabled tenant can be purged, so nothing was deleted.");

        var run = await CliRun.RunAsync("tenants", "purge", "acme", "--yes", "--json", "--chunk-size", "1", "-c", database.OwnerConnectionString);

        run.ExitCode.ShouldBe(0, run.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(run.Out);
        json.RootElement.GetProperty("rowsDeleted").GetInt64().ShouldBe(8);
        json.RootElement.GetProperty("state").GetString().ShouldBe("purged");
        (await CountAsync(database, "acme")).ShouldBe(0);
        (await CountAsync(database, "globex")).ShouldBe(8);
    }

    [Test]
    public async Task A_chunk_size_out_of_range_is_a_usage_error()
    {
        var run = await CliRun.RunAsync("tenants", "purge", "acme", "--chunk-size", "0", "-c", "Host=localhost");
        run.ExitCode.ShouldBe(ExitCodes.Usage, run.ToString());
        run.Err.ShouldContain($"--chunk-size must be between 1 and {TenantRegistry.MaxPurgeChunkSize}.");
    }

    [Test]
    public async Task Export_writes_the_archive_never_over_an_existing_file()
    {
        await using var database = await CreateAsync("cli_export");
        var file = Path.Combine(Path.GetTempPath(), $"dapper-tenants-export-{Guid.NewGuid():N}.zip");
        try
        {
            var run = await CliRun.RunAsync("tenants", "export", "globex", "--out", file, "--json", "-c", database.OwnerConnectionString);

            run.ExitCode.ShouldBe(0, run.ToString());
            using (var json = System.Text.Json.JsonDocument.Parse(run.Out))
            {
                json.RootElement.GetProperty("totalRows").GetInt64().ShouldBe(8);
            }

            using (var zip = ZipFile.OpenRead(file))
            {
                zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal).ShouldBe(["manifest.json", "tables/001.copy", "tables/002.copy"]);
            }

            var again = await CliRun.RunAsync("tenants", "export", "globex", "--out", file, "-c", database.OwnerConnectionString);
            again.ExitCode.ShouldBe(ExitCodes.Failure, again.ToString());
            again.Err.Trim().ShouldBe($"error: {file} exists already; the export never overwrites a file. Choose another --out, or delete it first.");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
