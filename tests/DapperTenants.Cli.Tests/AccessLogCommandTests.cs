using System.Text.Json;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Cli.Tests;

/// <summary><c>access-log</c> over a database with support access installed and three logged support sessions.</summary>
[Category(Categories.Database)]
public class AccessLogCommandTests
{
    private TestDatabase _database = null!;
    private string _role = null!;
    private string _login = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _database = await TestServer.CreateDatabaseAsync("cli_access_log");
        var suffix = Guid.NewGuid().ToString("N")[..10];
        (_role, _login) = ("dt_support_" + suffix, "dt_operator_" + suffix);
        await _database.ExecuteAsAdminAsync($"""
            CREATE ROLE "{_role}" NOLOGIN NOSUPERUSER NOBYPASSRLS;
            CREATE ROLE "{_login}" LOGIN PASSWORD '{_database.Password}' NOSUPERUSER NOBYPASSRLS IN ROLE "{_role}";
            GRANT CONNECT ON DATABASE "{_database.Name}" TO "{_role}";
            GRANT TEMPORARY ON DATABASE "{_database.Name}" TO "{_role}";
            """);
        await using var owner = _database.CreateOwnerDataSource();
        var plan = await new PolicyInstaller(owner).UseSupportAccess(_role).ApplyAsync();
        plan.HasErrors.ShouldBeFalse(plan.ToString());

        await using var operatorSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(_database.AppConnectionString) { Username = _login }.ConnectionString);
        var support = new SupportDataSource(operatorSource);
        foreach (var (actor, reason, scope, writes) in new[]
        {
            ("alice", "ticket 1", SupportScope.Of("acme"), false),
            ("bob", "ticket 2", SupportScope.Of("globex", "initech"), true),
            ("alice", "incident 3", SupportScope.AllTenants, false),
        })
        {
            await using var connection = await support.OpenAsync(actor, reason, scope, writes);
            await connection.ExecuteScalarAsync<int>("select 1");
            if (writes)
            {
                await connection.ExecuteAsync("create temp table scratch (x int)");
                await connection.ExecuteAsync("insert into scratch values (1)");
            }
        }
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        var admin = _database.Server.AdminConnectionString;
        await _database.DisposeAsync();
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await connection.ExecuteAsync($"""DROP ROLE IF EXISTS "{_login}"; DROP ROLE IF EXISTS "{_role}";""");
    }

    [Test]
    public async Task The_table_lists_the_sessions_newest_first()
    {
        var run = await CliRun.RunAsync("access-log", "--connection", _database.OwnerConnectionString);
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Err.ShouldBeEmpty();
        var rows = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray()).ToList();
        rows[0].ShouldBe(["id", "started (UTC)", "actor", "tenants", "writes", "login", "reason"]);
        rows.Skip(2).Select(r => string.Join(" / ", r.Skip(2))).ShouldBe(
        [
            $"alice / all tenants / no / {_login} / incident 3",
            $"bob / globex, initech / yes / {_login} / ticket 2",
            $"alice / acme / no / {_login} / ticket 1",
        ]);
    }

    [Test]
    public async Task Json_filters_by_actor_tenant_and_limit()
    {
        var run = await CliRun.RunAsync("access-log", "--connection", _database.OwnerConnectionString, "--actor", "alice", "--tenant", "acme", "--json");
        run.ExitCode.ShouldBe(0, run.ToString());
        using var document = JsonDocument.Parse(run.Out);
        document.RootElement.GetProperty("schemaVersion").GetInt32().ShouldBe(1);
        var sessions = document.RootElement.GetProperty("sessions").EnumerateArray().ToList();
        sessions.Select(s => s.GetProperty("reason").GetString()).ShouldBe(["incident 3", "ticket 1"], "acme was visible to alice's all-tenants session and to her acme session");
        sessions[1].GetProperty("tenants").EnumerateArray().Select(t => t.GetString()).ShouldBe(["acme"]);
        sessions[1].GetProperty("login").GetString().ShouldBe(_login);
        sessions[1].GetProperty("allowWrites").GetBoolean().ShouldBeFalse();

        var limited = await CliRun.RunAsync("access-log", "--connection", _database.OwnerConnectionString, "--limit", "1", "--json");
        using var one = JsonDocument.Parse(limited.Out);
        one.RootElement.GetProperty("sessions").GetArrayLength().ShouldBe(1);
    }

    [Test]
    public async Task Writes_lists_each_logged_statement_with_its_session_as_a_table_and_as_json()
    {
        var run = await CliRun.RunAsync("access-log", "--connection", _database.OwnerConnectionString, "--writes");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Err.ShouldBeEmpty();
        var rows = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray()).ToList();
        rows[0].ShouldBe(["id", "at (UTC)", "session", "actor", "transaction", "statement"]);
        rows.Skip(2).Select(r => $"{r[3]} / {r[5]}").ShouldBe(["bob / insert into scratch values (1)", "bob / create temp table scratch (x int)"]);

        var json = await CliRun.RunAsync("access-log", "--connection", _database.OwnerConnectionString, "--writes", "--actor", "bob", "--limit", "1", "--json");
        json.ExitCode.ShouldBe(0, json.ToString());
        using var document = JsonDocument.Parse(json.Out);
        document.RootElement.GetProperty("schemaVersion").GetInt32().ShouldBe(1);
        var write = document.RootElement.GetProperty("writes").EnumerateArray().ShouldHaveSingleItem();
        write.GetProperty("statement").GetString().ShouldBe("insert into scratch values (1)");
        write.GetProperty("actor").GetString().ShouldBe("bob");
        write.GetProperty("transactionId").GetUInt64().ShouldBeGreaterThan(0UL);
        var sessions = await CliRun.RunAsync("access-log", "--connection", _database.OwnerConnectionString, "--actor", "bob", "--json");
        using var session = JsonDocument.Parse(sessions.Out);
        write.GetProperty("sessionId").GetInt64().ShouldBe(session.RootElement.GetProperty("sessions")[0].GetProperty("id").GetInt64());

        (await CliRun.RunAsync("access-log", "--connection", _database.OwnerConnectionString, "--writes", "--actor", "alice")).Out.Trim()
            .ShouldBe("No support write matches.");
    }

    [Test]
    public async Task Since_in_the_future_matches_nothing()
    {
        var run = await CliRun.RunAsync("access-log", "--connection", _database.OwnerConnectionString, "--since", "2999-01-01T00:00:00Z");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Out.Trim().ShouldBe("No support session matches.");
    }

    [Test]
    public async Task Help_describes_the_command_and_the_root_help_lists_it()
    {
        var run = await CliRun.RunAsync("access-log", "--help");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Out.ShouldContain("dapper-tenants access-log [options]");
        foreach (var option in new[] { "--actor", "--tenant", "--since", "--limit", "--json", "--writes", "--connection" })
        {
            run.Out.ShouldContain(option);
        }

        (await CliRun.RunAsync("--help")).Out.ShouldContain("  access-log ");
    }

    [Test]
    public async Task Script_with_support_role_adds_the_support_access_section()
    {
        var run = await CliRun.RunAsync("script", "--assembly", CliRun.SampleAssembly, "--grant-to", "app_login", "--support-role", "ops_support");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Out.ShouldContain("-- Support access (PolicyInstaller.UseSupportAccess): an append-only access log that only the support role \"ops_support\" writes,");
        run.Out.ShouldContain("CREATE POLICY \"dapper_tenants_support_scope\" ON \"public\".\"invoices\" AS RESTRICTIVE FOR ALL TO \"ops_support\"");
        (await CliRun.RunAsync("script", "--assembly", CliRun.SampleAssembly)).Out.ShouldNotContain("Support access");
    }

    [TestCase("--limit", "0", "--limit 0 is out of range: give 1 to 10000.")]
    [TestCase("--since", "yesterday", "--since 'yesterday' is not an ISO 8601 date or instant, such as 2026-12-01 or 2026-12-01T08:00:00Z.")]
    public async Task Bad_values_exit_2(string option, string value, string expected)
    {
        var run = await CliRun.RunAsync("access-log", "--connection", "Host=localhost", option, value);
        run.ExitCode.ShouldBe(2, run.ToString());
        run.Err.ShouldContain("error: " + expected);
    }

    [Test]
    public async Task The_app_login_cannot_read_the_log_and_exits_1_with_the_fix()
    {
        var run = await CliRun.RunAsync("access-log", "--connection", _database.AppConnectionString);
        run.ExitCode.ShouldBe(1, run.ToString());
        run.Err.ShouldBe("error: permission denied for schema dapper_tenants. Only the log's owner may read it: connect as the installer's login." + Environment.NewLine);
    }

    [Test]
    public async Task A_database_without_support_access_exits_1_and_says_how_to_install_it()
    {
        await using var empty = await TestServer.CreateDatabaseAsync("cli_no_access_log");
        var run = await CliRun.RunAsync("access-log", "--connection", empty.OwnerConnectionString);
        run.ExitCode.ShouldBe(1, run.ToString());
        run.Err.ShouldBe("error: The database has no support access log (dapper_tenants.access_log). Install it with PolicyInstaller.UseSupportAccess(\"<support role>\")."
            + Environment.NewLine);
    }
}
