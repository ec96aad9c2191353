using System.Diagnostics;
using DapperTenants.Cli.Audit;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;

namespace DapperTenants.Cli.Tests;

/// <summary>
/// <c>dapper-tenants audit</c> shows its progress on standard error only on a terminal and only for the human forms:
/// redirected (a log, a pipe, CI) or with <c>--json</c> it writes none. The terminal is a real pseudo-terminal
/// (<c>script</c>), the redirection a real one (a child process with its streams piped).
/// </summary>
[Category(Categories.Database)]
public class AuditProgressTests
{
    private const string EraseLine = "\r\u001b[2K";

    private TestDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await TestServer.CreateDatabaseAsync("audit_progress");
        await _db.ExecuteAsOwnerAsync(AuditDatabases.Clean);
    }

    [OneTimeTearDown]
    public Task DropDatabase() => _db.DisposeAsync().AsTask();

    [Test]
    public async Task Each_step_rewrites_one_progress_line_which_is_erased_at_the_end()
    {
        using var error = new StringWriter();
        using (var progress = new AuditProgress(error, enabled: true))
        {
            await using var owner = _db.CreateOwnerDataSource();
            await new TenantAudit(owner, new TenantAuditOptions { AppRole = _db.AppRole, Progress = progress }).RunAsync();
        }

        var steps = error.ToString().Split(EraseLine, StringSplitOptions.RemoveEmptyEntries);
        steps.Length.ShouldBe(3, error.ToString());
        steps[0].ShouldMatch(@"^audit 1/3: reading the tables, their policies and the app role \(\d+\.\d s\)$");
        steps[1].ShouldMatch(@"^audit 2/3: reading the views, functions, partitions and grants around 2 tenant tables \(\d+\.\d s\)$");
        steps[2].ShouldMatch(@"^audit 3/3: judging 2 tenant tables, 2 views, 0 functions \(\d+\.\d s\)$");
        error.ToString().ShouldEndWith(EraseLine, Case.Sensitive, "the line is erased before the report");
    }

    [Test]
    public void Disabled_progress_writes_nothing()
    {
        using var error = new StringWriter();
        using (var progress = new AuditProgress(error, enabled: false))
        {
            progress.Report("audit 1/3: reading");
        }

        error.ToString().ShouldBeEmpty();
    }

    [TestCase("--format", "text")]
    [TestCase("--format", "markdown")]
    [TestCase("--json", null)]
    public async Task Redirected_standard_error_gets_no_progress(string option, string? value)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string?[])[Path.Combine(AppContext.BaseDirectory, "DapperTenants.Cli.dll"), "audit", "-c", _db.OwnerConnectionString, "--app-role", _db.AppRole, option, value])
        {
            if (argument is not null)
            {
                start.ArgumentList.Add(argument);
            }
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

        (await error).ShouldBeEmpty();
        (await output).ShouldContain("DT080", Case.Sensitive, "the report itself is there");
        (await output).ShouldNotContain("audit 1/3");
    }

    [Test]
    public async Task On_a_terminal_the_text_report_shows_progress_and_the_json_report_does_not()
    {
        var text = await UnderTerminalAsync();
        text.ShouldContain(EraseLine + "audit 1/3: reading the tables", Case.Sensitive, text);
        text.ShouldContain(EraseLine + "audit 3/3: judging 2 tenant tables", Case.Sensitive, text);

        var json = await UnderTerminalAsync("--json");
        json.ShouldContain("\"schemaVersion\"", Case.Sensitive, json);
        json.ShouldNotContain("audit 1/3", Case.Sensitive, json);
        json.ShouldNotContain(EraseLine, Case.Sensitive, json);
    }

    /// <summary>Runs the audit with standard output and error on a pseudo-terminal (<c>script</c>), and returns what the terminal received.</summary>
    private async Task<string> UnderTerminalAsync(params string[] options)
    {
        static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        string[] command = [dotnet, Path.Combine(AppContext.BaseDirectory, "DapperTenants.Cli.dll"), "audit", "-c", _db.OwnerConnectionString, "--app-role", _db.AppRole, .. options];
        var start = new ProcessStartInfo("script")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-q", "-e", "-c", string.Join(' ', command.Select(Quote)), "/dev/null"])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        (await error).ShouldBeEmpty();
        return await output;
    }
}
