using DapperTenants.Tests.Support;

namespace DapperTenants.Cli.Tests;

/// <summary>What the <c>tenants</c> commands refuse before they connect: bad usage exits 2 and nothing runs.</summary>
[Category(Categories.Unit)]
public class TenantsUsageTests
{
    // Port 1 on loopback refuses at once: a command that got as far as connecting would fail with exit 1, not 2.
    private const string Nowhere = "Host=127.0.0.1;Port=1;Username=x;Password=y;Timeout=2";

    [TestCase("tenants")]
    [TestCase("tenants list")]
    [TestCase("tenants create")]
    [TestCase("tenants disable")]
    [TestCase("tenants enable")]
    public async Task Help_exits_0_and_names_the_nested_command(string command)
    {
        var run = await CliRun.RunAsync([.. command.Split(' '), "--help"]);
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Out.ShouldContain("dapper-tenants " + command + " ", Case.Sensitive);
        run.Err.ShouldBeEmpty();
    }

    [Test]
    public async Task Root_help_lists_tenants_and_tenants_help_lists_its_sub_commands()
    {
        (await CliRun.RunAsync("--help")).Out.ShouldContain("  tenants ");
        var run = await CliRun.RunAsync("tenants", "--help");
        foreach (var sub in new[] { "list", "create <tenant>", "disable <tenant>", "enable <tenant>" })
        {
            run.Out.ShouldContain("  " + sub + " ");
        }
    }

    [TestCase(new[] { "tenants" }, "Required command was not provided.", "dapper-tenants tenants")]
    [TestCase(new[] { "tenants", "rename", "acme" }, "Unrecognized command or argument 'rename'.", "dapper-tenants tenants")]
    [TestCase(new[] { "tenants", "create", "--connection", Nowhere }, "Required argument missing for command: 'create'.", "dapper-tenants tenants create")]
    [TestCase(new[] { "tenants", "create", "acme" }, "Option '--connection' is required.", "dapper-tenants tenants create")]
    [TestCase(new[] { "tenants", "disable", "acme", "--connection", Nowhere }, "Option '--reason' is required.", "dapper-tenants tenants disable")]
    [TestCase(new[] { "tenants", "disable", "acme", "--connection", Nowhere, "--reason", " " }, "--reason needs a text: say why the tenant is disabled.", "dapper-tenants tenants disable")]
    [TestCase(new[] { "tenants", "list", "--connection", Nowhere, "--page-size", "0" }, "--page-size must be between 1 and 10000.", "dapper-tenants tenants list")]
    [TestCase(new[] { "tenants", "list", "--connection", Nowhere, "--page-size", "10001" }, "--page-size must be between 1 and 10000.", "dapper-tenants tenants list")]
    [TestCase(new[] { "tenants", "list", "--connection", Nowhere, "--state", "deleted" }, "Argument 'deleted' not recognized. Must be one of:", "dapper-tenants tenants list")]
    [TestCase(new[] { "tenants", "list", "--connection", "Hots=x" }, "--connection is not a valid PostgreSQL connection string:", "dapper-tenants tenants list")]
    [TestCase(new[] { "script", "--assembly", "x.dll", "--registry", "read-write" }, "Argument 'read-write' not recognized. Must be one of:", "dapper-tenants script")]
    public async Task Bad_usage_exits_2_with_the_reason_and_the_command_to_ask_for_help(string[] args, string expected, string usage)
    {
        var run = await CliRun.RunAsync(args);
        run.ExitCode.ShouldBe(ExitCodes.Usage, run.ToString());
        run.Err.ShouldContain("error: " + expected, Case.Sensitive, run.ToString());
        run.Err.ShouldEndWith($"Run '{usage} --help' for usage." + Environment.NewLine);
        run.Out.ShouldBeEmpty();
    }

    [Test]
    public async Task A_reason_longer_than_the_registry_takes_is_bad_usage()
    {
        var run = await CliRun.RunAsync("tenants", "disable", "acme", "--connection", Nowhere, "--reason", new string('r', TenantRegistry.MaxReasonLength + 1));
        run.ExitCode.ShouldBe(2, run.ToString());
        run.Err.ShouldStartWith("error: --reason is 1001 characters long; the limit is 1000.");
    }

    [TestCase("   ", "The tenant value is empty or whitespace. Pass the tenant's identifier, for example tenants.Open(\"acme\").")]
    [TestCase("a\0b", "The tenant value contains a NUL character at position 1; PostgreSQL text cannot hold it. Remove it.")]
    public async Task A_tenant_value_the_registry_rejects_is_bad_usage_before_connecting(string tenant, string message)
    {
        foreach (var json in new[] { false, true })
        {
            string[] args = ["tenants", "create", tenant, "--connection", Nowhere];
            var run = await CliRun.RunAsync(json ? [.. args, "--json"] : args);
            run.ExitCode.ShouldBe(2, run.ToString());
            run.Err.ShouldBe("error: " + message + Environment.NewLine + "Run 'dapper-tenants tenants create --help' for usage." + Environment.NewLine);
            if (json)
            {
                run.Out.ShouldContain("\"kind\": \"invalid\"");
            }
            else
            {
                run.Out.ShouldBeEmpty();
            }
        }
    }

    [Test]
    public async Task An_argument_starting_with_at_is_a_value_and_never_a_response_file()
    {
        // A response file would put its lines on the command line: here an option the command does not have (exit 2).
        var file = Path.Combine(Path.GetTempPath(), "dapper-tenants-rsp-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(file, "--state\npurged\n");
        try
        {
            var run = await CliRun.RunAsync("tenants", "create", "@" + file, "--connection", Nowhere);
            run.ExitCode.ShouldBe(ExitCodes.Failure, run.ToString());
            run.Err.ShouldStartWith("error: Failed to connect to 127.0.0.1:1", Case.Sensitive, "the value was taken as the tenant, so the command went on to connect");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task A_connection_failure_exits_1_and_with_json_also_writes_the_error_object()
    {
        var run = await CliRun.RunAsync("tenants", "list", "--connection", Nowhere, "--json");
        run.ExitCode.ShouldBe(ExitCodes.Failure, run.ToString());
        run.Err.ShouldStartWith("error: Failed to connect to 127.0.0.1:1");
        using var json = System.Text.Json.JsonDocument.Parse(run.Out);
        json.RootElement.GetProperty("error").GetProperty("kind").GetString().ShouldBe("failed");
        json.RootElement.GetProperty("error").GetProperty("message").GetString()!.ShouldStartWith("Failed to connect to 127.0.0.1:1");
        run.Out.ShouldNotContain("Password=y");
    }
}
