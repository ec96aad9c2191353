using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DapperTenants.Tests.Readme;
using DapperTenants.Tests.Support;

namespace DapperTenants.Cli.Tests.Readme;

/// <summary>
/// The README's SQL and transcripts are what the code produces: each test runs the code and compares its output with
/// the README's checked block (<see cref="ReadmeFile"/>); with <c>DAPPER_TENANTS_UPDATE_README=1</c> it rewrites the block.
/// </summary>
[Category(Categories.Database)]
[NonParallelizable]
public partial class ReadmeCliOutputTests
{
    /// <summary>The schema of the README's audit example: four problems planted, nothing else to report.</summary>
    private const string ShopAsOwner = """
        create table invoices (tenant text not null, id int not null, total numeric not null, primary key (tenant, id), unique (id));
        create table projects (tenant_id text not null, id int not null, name text not null, primary key (tenant_id, id));
        create table notes (tenant text not null, id int not null, body text not null, primary key (tenant, id));
        create table payments (id int primary key, invoice_id int not null constraint payments_invoice_fk references invoices (id), amount numeric not null);
        alter table invoices enable row level security;
        alter table invoices force row level security;
        create policy tenant_isolation on invoices
            using (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')))
            with check (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')));
        alter table projects enable row level security;
        alter table projects force row level security;
        create policy tenant_isolation on projects
            using (tenant_id = (select nullif(current_setting('dapper_tenants.tenant', true), '')))
            with check (tenant_id = (select nullif(current_setting('dapper_tenants.tenant', true), '')));
        """;

    [Test]
    public async Task The_audit_example_in_the_readme_is_the_audit_of_its_database()
    {
        await using var database = await TestServer.CreateDatabaseAsync("shop");
        await database.ExecuteAsOwnerAsync(ShopAsOwner);
        await database.ExecuteAsAdminAsync($"""
            create view invoice_totals as select tenant, sum(total) as total from invoices group by tenant;
            grant truncate on projects to "{database.AppRole}";
            """);
        string Rename(string text) => Repad(text.Replace(database.Name, "shop", StringComparison.Ordinal).Replace(database.AppRole, "app_login", StringComparison.Ordinal));

        var text = await CliRun.RunAsync("audit", "--connection", database.OwnerConnectionString, "--app-role", database.AppRole);
        var json = await CliRun.RunAsync("audit", "--connection", database.OwnerConnectionString, "--app-role", database.AppRole, "--json");

        text.Err.ShouldBeEmpty();
        json.ExitCode.ShouldBe(text.ExitCode);
        ReadmeFile.ShouldMatch("audit-text",
            "$ dapper-tenants audit --connection \"Host=127.0.0.1;Port=55432;Database=shop;Username=app_owner;Password=...\" --app-role app_login\n"
            + Rename(text.Out) + "$ echo $?\n" + text.ExitCode + "\n",
            ServerVersion);

        var report = JsonNode.Parse(Rename(json.Out))!.AsObject();
        var findings = report["findings"]!.AsArray();
        var total = findings.Count;
        while (findings.Count > 2)
        {
            findings.RemoveAt(findings.Count - 1);
        }

        ReadmeFile.ShouldMatch("audit-json", report.ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }), ServerVersion);
        KeptFindings().Match(ReadmeFile.TextOf("audit-json")).Groups["total"].Value.ShouldBe(total.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "docs/cli.md says how many findings the JSON example left out");
    }

    [Test]
    public async Task The_demo_transcript_in_the_readme_is_a_run_of_the_demo()
    {
        var run = await CliRun.RunAsync("demo");

        run.ExitCode.ShouldBe(0, run.ToString());
        ReadmeFile.ShouldMatch("demo", run.Out, text => RunSpecific().Replace(text, m => m.Groups["keep"].Value + "…"));
    }

    /// <summary>Pads the columns of Markdown tables again, as the CLI does, after names in them changed length.</summary>
    private static string Repad(string text)
    {
        var lines = text.Split('\n');
        for (var start = 0; start < lines.Length; start++)
        {
            var end = start;
            while (end < lines.Length && lines[end].StartsWith("| ", StringComparison.Ordinal) && lines[end].EndsWith(" |", StringComparison.Ordinal))
            {
                end++;
            }

            if (end - start < 2)
            {
                continue;
            }

            var rows = lines[start..end].Select(l => l[2..^2].Split(" | ").Select(c => c.Trim()).ToArray()).ToList();
            var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Where((_, r) => r != 1).Max(row => row[c].Length)).ToArray();
            for (var r = 0; r < rows.Count; r++)
            {
                lines[start + r] = "| " + string.Join(" | ", rows[r].Select((cell, c) => r == 1 ? new string('-', widths[c]) : cell.PadRight(widths[c]))) + " |";
            }

            start = end;
        }

        return string.Join('\n', lines);
    }

    /// <summary>The server's version in the audit's first line and JSON: the README shows the one it was generated on.</summary>
    private static string ServerVersion(string text) =>
        VersionNumJson().Replace(VersionJson().Replace(VersionText().Replace(text, "PostgreSQL <version>"), "\"version\": \"<version>\""), "\"versionNum\": 0");

    [GeneratedRegex(@"PostgreSQL \d+\.\d+( \([^)]*\))?")]
    private static partial Regex VersionText();

    [GeneratedRegex("\"version\": \"[^\"]*\"")]
    private static partial Regex VersionJson();

    [GeneratedRegex("\"versionNum\": \\d+")]
    private static partial Regex VersionNumJson();

    [GeneratedRegex(@"keeps the first two of its (?<total>\d+) findings")]
    private static partial Regex KeptFindings();

    /// <summary>
    /// What differs between two demo runs: which server (the README shows a local cluster; DAPPER_TENANTS_TEST_CONNECTION
    /// or Docker give another line), random name suffixes, the cluster's folder and port, timings.
    /// </summary>
    [GeneratedRegex(@"(?<keep>^PostgreSQL: ).*$|(?<keep>dapper-tenants-pg-)[0-9a-f]{12}|(?<keep>_)[0-9a-f]{10}\b|(?<keep>on port )\d+|(?<keep>\| )\d+(?= +\|$)|(?<keep>finished in )\d+\.\d", RegexOptions.Multiline)]
    private static partial Regex RunSpecific();
}
