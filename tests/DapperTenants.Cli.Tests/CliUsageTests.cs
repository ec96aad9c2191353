using DapperTenants.Tests.Support;

namespace DapperTenants.Cli.Tests;

[Category(Categories.Unit)]
public class CliUsageTests
{
    [TestCase("")]
    [TestCase("demo")]
    [TestCase("plan")]
    [TestCase("apply")]
    [TestCase("script")]
    [TestCase("audit")]
    public async Task Help_exits_0_and_describes_the_command(string command)
    {
        var run = await CliRun.RunAsync([.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Out.ShouldContain("Usage:");
        run.Out.ShouldContain(("dapper-tenants " + command).Trim() + " [", Case.Sensitive, "the usage line names the tool, not the test host");
        run.Err.ShouldBeEmpty();
    }

    [Test]
    public async Task Root_help_lists_every_command()
    {
        var run = await CliRun.RunAsync("--help");
        foreach (var command in new[] { "demo", "plan", "apply", "script", "audit" })
        {
            run.Out.ShouldContain("  " + command + " ");
        }
    }

    [TestCase(new string[0], "Required command was not provided.")]
    [TestCase(new[] { "frobnicate" }, "Unrecognized command or argument 'frobnicate'.")]
    [TestCase(new[] { "audit" }, "Option '--connection' is required.")]
    [TestCase(new[] { "plan", "--connection", "Host=localhost" }, "Option '--assembly' is required.")]
    [TestCase(new[] { "script" }, "Option '--assembly' is required.")]
    [TestCase(new[] { "audit", "--connection", "Host=localhost", "--bogus" }, "Unrecognized command or argument '--bogus'.")]
    [TestCase(new[] { "audit", "--connection", "Hots=localhost" }, "--connection is not a valid PostgreSQL connection string:")]
    [TestCase(new[] { "audit", "--connection", "Username=x" }, "--connection has no Host:")]
    [TestCase(new[] { "audit", "--connection", "Host=localhost", "--ignore", "DT999" }, "--ignore: unknown finding code(s) DT999.")]
    [TestCase(new[] { "script", "--assembly", "no/such/App.dll" }, "File does not exist: 'no/such/App.dll'.")]
    [TestCase(new[] { "demo", "--iterations", "0" }, "--iterations must be between 1 and 100000.")]
    public async Task Bad_usage_exits_2_with_the_reason_on_stderr(string[] args, string expected)
    {
        var run = await CliRun.RunAsync(args);
        run.ExitCode.ShouldBe(2, run.ToString());
        run.Err.ShouldContain("error: " + expected, Case.Sensitive, run.ToString());
        run.Err.ShouldContain("--help' for usage.");
        run.Out.ShouldBeEmpty();
    }

    [Test]
    public async Task A_setting_name_that_PostgreSQL_would_not_accept_is_bad_usage()
    {
        var run = await CliRun.RunAsync("script", "--assembly", CliRun.SampleAssembly, "--setting", "Tenant");
        run.ExitCode.ShouldBe(2, run.ToString());
        run.Err.ShouldStartWith("error: --setting 'Tenant' is not a valid setting name: use 'prefix.name' in lower case letters, digits and underscores");
    }

    [Test]
    public async Task A_connection_failure_is_one_line_on_stderr_and_exit_1()
    {
        // Port 1 on loopback refuses at once: no server, no timeout.
        // The audit has its own exit code for this (3, AuditFailureTests); the other commands exit 1.
        var run = await CliRun.RunAsync("plan", "--assembly", CliRun.SampleAssembly, "--connection", "Host=127.0.0.1;Port=1;Username=x;Password=y;Timeout=2");
        run.ExitCode.ShouldBe(1, run.ToString());
        var lines = run.Err.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(1, run.ToString());
        lines[0].ShouldStartWith("error: Failed to connect to 127.0.0.1:1");
        run.Err.ShouldNotContain(" at ", Case.Sensitive, "no stack trace without --verbose");
        run.Err.ShouldNotContain("Password=y", Case.Sensitive, "never the connection string's secrets");
    }

    [Test]
    public async Task Verbose_adds_the_full_exception()
    {
        var run = await CliRun.RunAsync("plan", "--assembly", CliRun.SampleAssembly, "--connection", "Host=127.0.0.1;Port=1;Username=x;Password=y;Timeout=2", "--verbose");
        run.ExitCode.ShouldBe(1, run.ToString());
        run.Err.ShouldStartWith("error: Failed to connect to 127.0.0.1:1");
        run.Err.ShouldContain("Npgsql.NpgsqlException");
        run.Err.ShouldContain("   at ");
    }

    [Test]
    public async Task Version_exits_0()
    {
        var run = await CliRun.RunAsync("--version");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Out.ShouldNotBeEmpty();
    }
}
