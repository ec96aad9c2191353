using System.Text.Json;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Cli.Tests;

[Category(Categories.Database)]
public class AuditTests
{
    // The server's age (DT060, DT061) varies with the machine; DT070 (raw setting) is covered by SignedAuditTests.
    private const string IgnoreServerAndRawSetting = "DT060,DT061,DT070";

    private TestDatabase _planted = null!;
    private TestDatabase _clean = null!;

    [OneTimeSetUp]
    public async Task CreateDatabases()
    {
        _planted = await TestServer.CreateDatabaseAsync("audit_planted");
        await _planted.ExecuteAsOwnerAsync(AuditDatabases.PlantedAsOwner);
        await _planted.ExecuteAsAdminAsync(AuditDatabases.PlantedAsAdmin(_planted.AppRole));
        _clean = await TestServer.CreateDatabaseAsync("audit_clean");
        await _clean.ExecuteAsOwnerAsync(AuditDatabases.Clean);
        await _clean.ExecuteAsAdminAsync(AuditDatabases.HardenAsAdmin(_clean.Name, _clean.AppRole));
    }

    [OneTimeTearDown]
    public async Task DropDatabases()
    {
        await _planted.DisposeAsync();
        await _clean.DisposeAsync();
    }

    [Test]
    public async Task Every_planted_problem_is_reported_with_its_code_and_object_and_nothing_else()
    {
        var run = await CliRun.RunAsync("audit", "--connection", _planted.OwnerConnectionString, "--app-role", _planted.AppRole, "--ignore", IgnoreServerAndRawSetting, "--json");
        run.ExitCode.ShouldBe(1, run.ToString());
        var findings = Findings(run.Out);
        findings.Select(f => (f.Code, f.Object)).ShouldBe(AuditDatabases.PlantedFindings(_planted.AppRole), run.Out);
    }

    [Test]
    public async Task Planted_findings_carry_the_severity_of_their_code()
    {
        var run = await CliRun.RunAsync("audit", "-c", _planted.OwnerConnectionString, "--app-role", _planted.AppRole, "--ignore", IgnoreServerAndRawSetting, "--json");
        run.ExitCode.ShouldBe(1, run.ToString());
        string[] errors = ["DT001", "DT004", "DT005", "DT012", "DT013", "DT040", "DT041", "DT050", "DT082"];
        string[] warnings = ["DT002", "DT003", "DT014", "DT020", "DT021", "DT030", "DT042", "DT080", "DT081"];
        var expected = AuditDatabases.PlantedFindings(_planted.AppRole)
            .Select(f => (f.Code, errors.Contains(f.Code) ? "error" : warnings.Contains(f.Code) ? "warning" : "unlisted"))
            .ToList();
        expected.ShouldNotContain(f => f.Item2 == "unlisted", "every planted code has its severity listed here");
        expected.Select(f => f.Code).Distinct().Count().ShouldBe(errors.Length + warnings.Length, "every listed code is planted");

        Findings(run.Out).Select(f => (f.Code, f.Severity)).ShouldBe(expected, run.Out);
    }

    [Test]
    public async Task The_audit_reads_only_the_catalog_as_a_login_without_table_privileges_in_read_only_transactions()
    {
        // A login that may connect and nothing else: reading any table's rows fails with 42501, and any write fails in
        // a read-only transaction (25006). The audit must still find every planted problem.
        var auditor = _planted.Name + "_auditor";
        await _planted.ExecuteAsAdminAsync($"""
            create role "{auditor}" login password '{_planted.Password}' nosuperuser nobypassrls noinherit;
            grant connect on database "{_planted.Name}" to "{auditor}";
            """);
        try
        {
            var connection = new NpgsqlConnectionStringBuilder(_planted.OwnerConnectionString)
            {
                Username = auditor,
                Options = "-c default_transaction_read_only=on",
            }.ConnectionString;
            await using (var probe = new NpgsqlConnection(connection))
            {
                await probe.OpenAsync();
                (await Should.ThrowAsync<PostgresException>(() => probe.ExecuteScalarAsync("select count(*) from public.no_rls")))
                    .SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege, "the control: this login cannot read table data");
                (await Should.ThrowAsync<PostgresException>(() => probe.ExecuteAsync("create temporary table t (x int)")))
                    .SqlState.ShouldBe(PostgresErrorCodes.ReadOnlySqlTransaction, "the control: this login cannot write");
            }

            var run = await CliRun.RunAsync("audit", "--connection", connection, "--app-role", _planted.AppRole, "--ignore", IgnoreServerAndRawSetting, "--json");

            run.ExitCode.ShouldBe(1, run.ToString());
            run.Err.ShouldBeEmpty();
            Findings(run.Out).Select(f => (f.Code, f.Object)).ShouldBe(AuditDatabases.PlantedFindings(_planted.AppRole), run.Out);
        }
        finally
        {
            await _planted.ExecuteAsAdminAsync($"""
                revoke connect on database "{_planted.Name}" from "{auditor}";
                drop role "{auditor}";
                """);
        }
    }

    [Test]
    public async Task The_text_report_explains_each_finding_and_counts_them()
    {
        var run = await CliRun.RunAsync("audit", "--connection", _planted.OwnerConnectionString, "--app-role", _planted.AppRole, "--ignore", IgnoreServerAndRawSetting);
        run.ExitCode.ShouldBe(1, run.ToString());
        run.Out.ShouldStartWith($"Audit of {_planted.Name} on PostgreSQL ");
        run.Out.ShouldContain($"app role {_planted.AppRole}");
        run.Out.ShouldContain("| error    | DT001 | public.no_rls ", Case.Sensitive, "a Markdown table when redirected");
        run.Out.ShouldContain("error DT001 public.no_rls" + Environment.NewLine + "  Row-Level Security is disabled on a table with the tenant column tenant.");
        run.Out.ShouldContain("  Fix: ALTER TABLE public.no_rls ENABLE ROW LEVEL SECURITY; ALTER TABLE public.no_rls FORCE ROW LEVEL SECURITY;");
        run.Out.ShouldContain($"  Fix: REVOKE TRUNCATE ON public.trunc_rows FROM {_planted.AppRole};");
        run.Out.ShouldContain("  Fix: ALTER VIEW public.leaky_view SET (security_invoker = on);");
        run.Out.TrimEnd().ShouldEndWith("10 errors, 11 warnings, 0 info.");
        run.Out.ShouldNotContain("\u001b", Case.Sensitive, "no ANSI escape codes when output is not a terminal");
        run.Err.ShouldBeEmpty();
    }

    [Test]
    public async Task Ignored_codes_leave_the_report_and_the_exit_code()
    {
        var run = await CliRun.RunAsync("audit", "--connection", _planted.OwnerConnectionString, "--app-role", _planted.AppRole, "--json",
            "--ignore", "DT001,dt004", "--ignore", "DT005", "--ignore", "DT012,DT013,DT040,DT041,DT050,DT060,DT061,DT070,DT082");
        run.ExitCode.ShouldBe(0, "only warnings are left");
        Findings(run.Out).Select(f => f.Code).Distinct().ShouldBe(["DT002", "DT003", "DT014", "DT020", "DT021", "DT030", "DT042", "DT080", "DT081"]);
        using var json = JsonDocument.Parse(run.Out);
        json.RootElement.GetProperty("ignoredCodes").EnumerateArray().Select(e => e.GetString()).ShouldBe(
            ["DT001", "DT004", "DT005", "DT012", "DT013", "DT040", "DT041", "DT050", "DT060", "DT061", "DT070", "DT082"]);
    }

    [Test]
    public async Task A_clean_database_has_no_findings_and_exits_0()
    {
        var run = await CliRun.RunAsync("audit", "--connection", _clean.OwnerConnectionString, "--app-role", _clean.AppRole, "--ignore", IgnoreServerAndRawSetting);
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Out.ShouldContain("2 tenant table(s) (column tenant or tenant_id), 2 protected by Row-Level Security.");
        run.Out.TrimEnd().ShouldEndWith("No findings.");
    }

    [Test]
    public async Task The_server_version_findings_follow_the_advisory_table()
    {
        await using var admin = NpgsqlDataSource.Create(_clean.AdminConnectionString);
        var versionNum = await admin.CreateCommand("select current_setting('server_version_num')::int").ExecuteScalarAsync() as int? ?? 0;
        var run = await CliRun.RunAsync("audit", "--connection", _clean.OwnerConnectionString, "--app-role", _clean.AppRole, "--json");
        run.ExitCode.ShouldBe(0, "server findings are warnings");
        Findings(run.Out).Select(f => f.Code).ShouldBe([.. ExpectedServerFindings(versionNum, DateOnly.FromDateTime(DateTime.UtcNow)), "DT070"],
            $"the clean database has no other finding than its raw-setting policies (info) (server {versionNum})");
    }

    /// <summary>
    /// The README's advisory table, typed in again rather than read from <c>ServerAdvisory</c>: per major, the first
    /// minor release with every Row-Level Security fix, and the end of life.
    /// </summary>
    private static List<string> ExpectedServerFindings(int versionNum, DateOnly today)
    {
        var (major, minor) = (versionNum / 10000, versionNum % 10000);
        var lines = new Dictionary<int, (int SafeMinor, DateOnly EndOfLife)>
        {
            [11] = (20, new(2023, 11, 9)),
            [12] = (21, new(2024, 11, 21)),
            [13] = (22, new(2025, 11, 13)),
            [14] = (19, new(2026, 11, 12)),
            [15] = (14, new(2027, 11, 11)),
            [16] = (10, new(2028, 11, 9)),
            [17] = (6, new(2029, 11, 8)),
            [18] = (0, new(2030, 11, 14)),
        };
        lines.ContainsKey(major).ShouldBeTrue($"PostgreSQL {major} is not in the README's advisory table");
        var (safeMinor, endOfLife) = lines[major];
        var expected = new List<string>();
        if (minor < safeMinor)
        {
            expected.Add("DT060");
        }

        if (endOfLife < today)
        {
            expected.Add("DT061");
        }

        return expected;
    }

    [Test]
    public async Task Without_an_app_role_the_report_says_the_role_checks_did_not_run()
    {
        var run = await CliRun.RunAsync("audit", "--connection", _clean.OwnerConnectionString, "--ignore", IgnoreServerAndRawSetting, "--json");
        run.ExitCode.ShouldBe(0);
        Findings(run.Out).ShouldBe([("DT016", "info", _clean.Name)]);
    }

    [Test]
    public async Task A_superuser_app_role_is_an_error()
    {
        var superuser = new NpgsqlConnectionStringBuilder(_clean.AdminConnectionString).Username!;
        var run = await CliRun.RunAsync("audit", "--connection", _clean.OwnerConnectionString, "--app-role", superuser, "--ignore", IgnoreServerAndRawSetting, "--json");
        run.ExitCode.ShouldBe(1);
        Findings(run.Out).ShouldBe([("DT010", "error", superuser)]);
    }

    [Test]
    public async Task A_BYPASSRLS_app_role_is_an_error()
    {
        var role = _clean.AppRole + "_bypass";
        await _clean.ExecuteAsAdminAsync($"""create role "{role}" login bypassrls""");
        try
        {
            var run = await CliRun.RunAsync("audit", "--connection", _clean.OwnerConnectionString, "--app-role", role, "--ignore", IgnoreServerAndRawSetting, "--json");
            run.ExitCode.ShouldBe(1);
            Findings(run.Out).ShouldBe([("DT011", "error", role)]);
        }
        finally
        {
            await _clean.ExecuteAsAdminAsync($"""drop role "{role}" """);
        }
    }

    [Test]
    public async Task An_app_role_that_does_not_exist_is_an_error()
    {
        var run = await CliRun.RunAsync("audit", "--connection", _clean.OwnerConnectionString, "--app-role", "no_such_login", "--ignore", IgnoreServerAndRawSetting, "--json");
        run.ExitCode.ShouldBe(1);
        Findings(run.Out).ShouldBe([("DT015", "error", "no_such_login")]);
    }

    [Test]
    public async Task Tenant_column_replaces_the_default_names_but_tables_with_a_tenant_policy_are_tenant_tables_whatever_their_column()
    {
        var run = await CliRun.RunAsync("audit", "--connection", _clean.OwnerConnectionString, "--tenant-column", "org_id", "--ignore", IgnoreServerAndRawSetting, "--json");
        run.ExitCode.ShouldBe(0);
        Findings(run.Out).ShouldBe([("DT016", "info", _clean.Name)], "the policies on tenant make both tables tenant tables");
        using var json = JsonDocument.Parse(run.Out);
        json.RootElement.GetProperty("tenantColumns").EnumerateArray().Select(e => e.GetString()).ShouldBe(["org_id"]);
    }

    [Test]
    public async Task The_apps_connection_string_names_the_app_role_and_a_pool_without_session_reset_is_a_warning()
    {
        var app = new NpgsqlConnectionStringBuilder(_clean.AppConnectionString) { NoResetOnClose = true }.ConnectionString;
        var run = await CliRun.RunAsync("audit", "--connection", _clean.OwnerConnectionString, "--app-connection", app, "--ignore", IgnoreServerAndRawSetting, "--json");
        run.ExitCode.ShouldBe(0, run.ToString());
        Findings(run.Out).ShouldBe([("DT090", "warning", "connection string")]);
        using var json = JsonDocument.Parse(run.Out);
        json.RootElement.GetProperty("appRole").GetString().ShouldBe(_clean.AppRole);
        run.Out.ShouldNotContain(_clean.Password, Case.Sensitive, "the report never shows the connection string's password");

        var reset = await CliRun.RunAsync("audit", "--connection", _clean.OwnerConnectionString, "--app-connection", _clean.AppConnectionString, "--ignore", IgnoreServerAndRawSetting, "--json");
        Findings(reset.Out).ShouldBeEmpty("Npgsql's default resets the session when a connection returns to the pool");
    }

    [Test]
    public async Task The_markdown_report_is_a_document_with_a_table_and_a_section_per_finding()
    {
        var run = await CliRun.RunAsync("audit", "--connection", _planted.OwnerConnectionString, "--app-role", _planted.AppRole, "--ignore", IgnoreServerAndRawSetting, "--format", "markdown");
        run.ExitCode.ShouldBe(1, run.ToString());
        run.Out.ShouldStartWith($"# Audit of `{_planted.Name}`");
        run.Out.ShouldContain("| Severity | Code | Object | Finding |\n| --- | --- | --- | --- |\n| error | DT001 | public.no_rls | Row-Level Security is disabled on a table with the tenant column tenant. |".Replace("\n", Environment.NewLine, StringComparison.Ordinal));
        run.Out.ShouldContain("## DT001 error: `public.no_rls`");
        run.Out.ShouldContain("- **Fix:** ALTER TABLE public.no_rls ENABLE ROW LEVEL SECURITY;");
        run.Out.TrimEnd().ShouldEndWith("10 errors, 11 warnings, 0 info.");
    }

    [Test]
    public async Task The_sarif_report_has_a_rule_per_code_and_a_result_per_finding()
    {
        var run = await CliRun.RunAsync("audit", "--connection", _planted.OwnerConnectionString, "--app-role", _planted.AppRole, "--ignore", IgnoreServerAndRawSetting, "--format", "sarif");
        run.ExitCode.ShouldBe(1, run.ToString());
        using var sarif = JsonDocument.Parse(run.Out);
        sarif.RootElement.GetProperty("version").GetString().ShouldBe("2.1.0");
        var sarifRun = sarif.RootElement.GetProperty("runs")[0];
        sarifRun.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray().Select(r => r.GetProperty("id").GetString())
            .ShouldBe(AuditCodes.Descriptions.Keys);
        var results = sarifRun.GetProperty("results").EnumerateArray().ToList();
        results.Select(r => (r.GetProperty("ruleId").GetString()!, r.GetProperty("locations")[0].GetProperty("logicalLocations")[0].GetProperty("name").GetString()!))
            .ShouldBe(AuditDatabases.PlantedFindings(_planted.AppRole));
        results.Select(r => r.GetProperty("level").GetString()).Distinct().Order().ShouldBe(["error", "warning"]);
    }

    [Test]
    public async Task The_json_report_has_the_documented_shape()
    {
        var run = await CliRun.RunAsync("audit", "--connection", _planted.OwnerConnectionString, "--app-role", _planted.AppRole, "--ignore", IgnoreServerAndRawSetting, "--json");
        run.ExitCode.ShouldBe(1, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        var root = json.RootElement;
        root.EnumerateObject().Select(p => p.Name).ShouldBe(["schemaVersion", "database", "server", "appRole", "tenantColumns", "ignoredCodes", "summary", "findings"]);
        root.GetProperty("schemaVersion").GetInt32().ShouldBe(1);
        root.GetProperty("database").GetString().ShouldBe(_planted.Name);
        root.GetProperty("server").GetProperty("version").GetString().ShouldNotBeNullOrEmpty();
        root.GetProperty("server").GetProperty("versionNum").GetInt32().ShouldBeGreaterThan(100000);
        root.GetProperty("appRole").GetString().ShouldBe(_planted.AppRole);
        root.GetProperty("tenantColumns").EnumerateArray().Select(e => e.GetString()).ShouldBe(["tenant", "tenant_id"]);
        var summary = root.GetProperty("summary");
        (summary.GetProperty("errors").GetInt32(), summary.GetProperty("warnings").GetInt32(), summary.GetProperty("info").GetInt32()).ShouldBe((10, 11, 0));
        (summary.GetProperty("tenantTables").GetInt32(), summary.GetProperty("protectedTables").GetInt32()).ShouldBe((15, 13));
        var first = root.GetProperty("findings")[0];
        first.EnumerateObject().Select(p => p.Name).ShouldBe(["code", "severity", "object", "title", "why", "fix"]);
        first.GetProperty("code").GetString()!.ShouldMatch(@"^DT\d{3}$");
        run.Err.ShouldBeEmpty();
    }

    private static List<(string Code, string Severity, string Object)> Findings(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("findings").EnumerateArray()
            .Select(f => (f.GetProperty("code").GetString()!, f.GetProperty("severity").GetString()!, f.GetProperty("object").GetString()!))
            .ToList();
    }
}
