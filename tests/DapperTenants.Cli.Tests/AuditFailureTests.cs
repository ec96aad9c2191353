using System.Text.Json;
using DapperTenants.Cli.Audit;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Cli.Tests;

/// <summary>An audit that could not finish exits 3 with the problem and its fix, never 1 (findings) and never silent under --json.</summary>
public class AuditFailureTests
{
    // Port 1 on loopback refuses at once: no server, no timeout.
    private const string ClosedPort = "Host=127.0.0.1;Port=1;Username=x;Password=y;Timeout=2";

    private TestDatabase? _database;

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [Test]
    [Category(Categories.Unit)]
    public async Task An_unreachable_server_exits_3_with_a_connection_error_and_its_fix_on_stderr()
    {
        var run = await CliRun.RunAsync("audit", "--connection", ClosedPort);

        run.ExitCode.ShouldBe(3, run.ToString());
        run.Out.ShouldBeEmpty();
        var lines = run.Err.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(2, run.ToString());
        lines[0].ShouldStartWith("error: the audit could not finish (connection): Failed to connect to 127.0.0.1:1");
        lines[1].ShouldBe("Fix: Check the host and port in --connection, that the server is running, and that it listens there (listen_addresses, port, a firewall).");
        run.Err.ShouldNotContain(" at ", Case.Sensitive, "no stack trace without --verbose");
        run.Err.ShouldNotContain("Password=y", Case.Sensitive, "never the connection string's secrets");
    }

    [TestCase("--json")]
    [TestCase("--format", "json")]
    [Category(Categories.Unit)]
    public async Task An_unreachable_server_under_json_prints_a_json_error_object(params string[] form)
    {
        var run = await CliRun.RunAsync(["audit", "--connection", ClosedPort, .. form]);

        run.ExitCode.ShouldBe(3, run.ToString());
        var error = Error(run);
        error.Kind.ShouldBe("connection");
        error.Message.ShouldStartWith("Failed to connect to 127.0.0.1:1");
        error.SqlState.ShouldBeNull();
        error.Fix.ShouldStartWith("Check the host and port in --connection");
        run.Err.ShouldStartWith("error: the audit could not finish (connection): ", Case.Sensitive, "stderr still says it");
    }

    [Test]
    [Category(Categories.Unit)]
    public async Task Verbose_adds_the_full_exception_to_the_failure()
    {
        var run = await CliRun.RunAsync("audit", "--connection", ClosedPort, "--verbose");
        run.ExitCode.ShouldBe(3, run.ToString());
        run.Err.ShouldStartWith("error: the audit could not finish (connection): Failed to connect to 127.0.0.1:1");
        run.Err.ShouldContain("Npgsql.NpgsqlException");
        run.Err.ShouldContain("   at ");
    }

    [Test]
    [Category(Categories.Unit)]
    public void A_client_side_command_timeout_is_a_timeout()
    {
        // What Npgsql throws when Command Timeout passes: an NpgsqlException around a TimeoutException.
        var failure = AuditFailure.From(new NpgsqlException("Exception while reading from stream", new TimeoutException("Timeout during reading attempt")));
        failure.Kind.ShouldBe("timeout");
        failure.Message.ShouldBe("Exception while reading from stream Timeout during reading attempt");
        failure.SqlState.ShouldBeNull();
        failure.Fix.ShouldStartWith("Give the catalog reads more time: raise 'Command Timeout' in --connection (seconds, 0 for no limit; the audit's default is 300 s)");
    }

    [Test]
    [Category(Categories.Database)]
    public async Task A_statement_timeout_exits_3_with_a_timeout_error_and_sqlstate_57014()
    {
        var database = await Database();
        var connection = new NpgsqlConnectionStringBuilder(database.OwnerConnectionString) { Options = "-c statement_timeout=1" }.ConnectionString;

        var run = await CliRun.RunAsync("audit", "--connection", connection, "--json");

        run.ExitCode.ShouldBe(3, run.ToString());
        var error = Error(run);
        error.Kind.ShouldBe("timeout");
        error.Message.ShouldBe("57014: canceling statement due to statement timeout");
        error.SqlState.ShouldBe("57014");
        error.Fix.ShouldContain("'Options=-c statement_timeout=0'");
        run.Err.ShouldStartWith("error: the audit could not finish (timeout): 57014: canceling statement due to statement timeout" + Environment.NewLine
            + "Fix: Give the catalog reads more time: ");

        var control = await CliRun.RunAsync("audit", "--connection", database.OwnerConnectionString, "--json", "--ignore", "DT060,DT061");
        control.ExitCode.ShouldBe(0, "the control: the same audit without the timeout finishes: " + control);
    }

    [Test]
    [Category(Categories.Database)]
    public async Task A_login_without_connect_exits_3_with_a_permission_error()
    {
        var database = await Database();
        var stranger = database.Name + "_stranger";
        await database.ExecuteAsAdminAsync($"""create role "{stranger}" login password '{database.Password}' nosuperuser nobypassrls;""");
        try
        {
            var connection = new NpgsqlConnectionStringBuilder(database.OwnerConnectionString) { Username = stranger }.ConnectionString;
            var run = await CliRun.RunAsync("audit", "--connection", connection, "--format", "json");

            run.ExitCode.ShouldBe(3, run.ToString());
            var error = Error(run);
            error.Kind.ShouldBe("permission");
            error.SqlState.ShouldBe("42501");
            error.Message.ShouldBe($"42501: permission denied for database \"{database.Name}\"");
            run.Err.ShouldStartWith($"error: the audit could not finish (permission): 42501: permission denied for database \"{database.Name}\"" + Environment.NewLine
                + "Fix: Connect as a login that may connect to the database and read the catalog");
        }
        finally
        {
            await database.ExecuteAsAdminAsync($"""drop role "{stranger}";""");
        }
    }

    [Test]
    [Category(Categories.Database)]
    public async Task A_wrong_password_exits_3_with_an_authentication_error()
    {
        var database = await Database();
        var connection = new NpgsqlConnectionStringBuilder(database.OwnerConnectionString) { Password = "not-the-password" }.ConnectionString;

        var run = await CliRun.RunAsync("audit", "--connection", connection, "--json");

        run.ExitCode.ShouldBe(3, run.ToString());
        var error = Error(run);
        error.Kind.ShouldBe("authentication");
        error.SqlState.ShouldBe("28P01");
        error.Message.ShouldBe($"28P01: password authentication failed for user \"{database.OwnerRole}\"");
        run.Out.ShouldNotContain("not-the-password");
        run.Err.ShouldNotContain("not-the-password");
    }

    private async Task<TestDatabase> Database()
    {
        if (_database is null)
        {
            _database = await TestServer.CreateDatabaseAsync("audit_failure");
            await _database.ExecuteAsOwnerAsync(AuditDatabases.Clean);
        }

        return _database;
    }

    private static (string Kind, string Message, string? SqlState, string Fix) Error(CliRun run)
    {
        run.Out.ShouldNotBeNullOrWhiteSpace("--json prints the error object, never nothing");
        using var json = JsonDocument.Parse(run.Out);
        json.RootElement.GetProperty("schemaVersion").GetInt32().ShouldBe(1);
        json.RootElement.EnumerateObject().Select(p => p.Name).ShouldBe(["schemaVersion", "error"]);
        var error = json.RootElement.GetProperty("error");
        error.EnumerateObject().Select(p => p.Name).ShouldBe(["kind", "message", "sqlState", "fix"]);
        return (error.GetProperty("kind").GetString()!, error.GetProperty("message").GetString()!, error.GetProperty("sqlState").GetString(), error.GetProperty("fix").GetString()!);
    }
}
