using System.Diagnostics;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Replicas;

/// <summary>
/// docs/citus-isolation-checklist.sql, run with psql on plain PostgreSQL with stand-ins for the Citus functions (no Citus
/// can be installed here): its SQL, its psql logic and its verdicts are checked, on one node, not Citus's behaviour.
/// </summary>
[Category(Categories.Database)]
public class CitusChecklistTests
{
    private const string StandIns = """
        create function public.citus_version() returns text language sql as $$ select 'stand-in (plain PostgreSQL, not Citus)'::text $$;
        create function public.create_distributed_table(table_name regclass, distribution_column text, colocate_with text default 'default')
            returns void language plpgsql as $$ begin end $$;
        create function public.create_reference_table(table_name regclass) returns void language plpgsql as $$ begin end $$;
        -- Citus returns each result as PostgreSQL's text output ('t', 'f'); PL/pgSQL would cast a boolean to 'true'.
        create function public.run_command_on_placements(cmd_table regclass, command text, parallel boolean default true)
            returns table (nodename text, nodeport int, shardid bigint, success boolean, result text) language plpgsql as $$
            begin
                nodename := 'localhost'; nodeport := 5432; shardid := 1; success := true;
                execute format(command, cmd_table) into result;
                result := case result when 'true' then 't' when 'false' then 'f' else result end;
                return next;
            end $$;
        create function public.run_command_on_all_nodes(command text, parallel boolean default true, give_warning_for_connection_errors boolean default false)
            returns table (nodeid int, success boolean, result text) language plpgsql as $$
            begin
                nodeid := 1; success := true;
                execute command into result;
                result := case coalesce(result, '') when 'true' then 't' when 'false' then 'f' else coalesce(result, '') end;
                return next;
            end $$;
        """;

    private TestDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await TestServer.CreateDatabaseAsync("citus_checklist");
        await _db.ExecuteAsAdminAsync(StandIns);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        NpgsqlConnection.ClearAllPools();
        await _db.DisposeAsync();
    }

    [Test]
    public async Task The_checklist_passes_every_check_on_a_single_node_with_stand_ins()
    {
        var (exitCode, output) = await RunChecklistAsync();
        exitCode.ShouldBe(0, output);
        var lines = output.Split('\n').Select(l => l.TrimEnd()).ToList();
        lines.ShouldNotContain(l => l.StartsWith("FAIL", StringComparison.Ordinal), output);
        lines.Count(l => l.StartsWith("PASS", StringComparison.Ordinal)).ShouldBe(24, output);
        lines.ShouldContain("RESULT: PASS");
        lines.ShouldContain(l => l.StartsWith("PASS  B17 with set_config (not propagated), no row of another tenant is visible; rows seen: 5", StringComparison.Ordinal), output);
        (await SchemaExistsAsync()).ShouldBeFalse("the checklist drops its schema");
    }

    [Test]
    public async Task The_checklist_fails_when_the_application_login_bypasses_row_level_security()
    {
        await _db.ExecuteAsAdminAsync($"""alter role "{_db.AppRole}" bypassrls""");
        try
        {
            var (exitCode, output) = await RunChecklistAsync();
            exitCode.ShouldNotBe(0, output);
            var lines = output.Split('\n').Select(l => l.TrimEnd()).ToList();
            lines.ShouldContain(l => l.StartsWith("FAIL  A2 the application login exists on every node, neither superuser nor BYPASSRLS: node 1: SUPERUSER or BYPASSRLS", StringComparison.Ordinal), output);
            lines.ShouldContain(l => l.StartsWith("FAIL  B2 router query on another tenant sees nothing: 5", StringComparison.Ordinal), output);
            lines.ShouldContain(l => l.StartsWith("FAIL  B3 multi-shard query sees only the own tenant: 30 rows, 25 of other tenants", StringComparison.Ordinal), output);
            lines.ShouldContain(l => l.StartsWith("RESULT: FAIL", StringComparison.Ordinal), output);
        }
        finally
        {
            await _db.ExecuteAsAdminAsync($"""alter role "{_db.AppRole}" nobypassrls""");
        }
    }

    private async Task<bool> SchemaExistsAsync()
    {
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_db.AdminConnectionString) { Pooling = false }.ConnectionString);
        await admin.OpenAsync();
        return await admin.ExecuteScalarAsync<bool>("select exists (select from pg_namespace where nspname = 'dt_check')");
    }

    private async Task<(int ExitCode, string Output)> RunChecklistAsync()
    {
        var admin = new NpgsqlConnectionStringBuilder(_db.AdminConnectionString);
        var port = admin.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var passfile = Path.Combine(Path.GetTempPath(), "dt-checklist-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllLinesAsync(passfile,
        [
            $"{admin.Host}:{port}:*:{admin.Username}:{admin.Password}",
            $"{admin.Host}:{port}:*:{_db.AppRole}:{_db.Password}",
        ]);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(passfile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        try
        {
            var start = new ProcessStartInfo("psql") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { "-X", "-v", "app_role=" + _db.AppRole, "-v", "standin=1", "-f", Path.Combine(FindRoot(), "docs", "citus-isolation-checklist.sql") })
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["PGHOST"] = admin.Host;
            start.Environment["PGPORT"] = port;
            start.Environment["PGDATABASE"] = _db.Name;
            start.Environment["PGUSER"] = admin.Username;
            start.Environment["PGPASSFILE"] = passfile;
            using var process = Process.Start(start) ?? throw new InvalidOperationException("psql did not start; install the PostgreSQL client (apt-get install postgresql-client).");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await stdout + await stderr);
        }
        finally
        {
            File.Delete(passfile);
        }
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DapperTenants.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("DapperTenants.sln not found above the test directory.");
    }
}
