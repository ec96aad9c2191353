using System.Diagnostics;
using System.Text.RegularExpressions;
using DapperTenants.Cli;
using DapperTenants.Cli.Demo;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Cli.Tests;

/// <summary>The README's first command, end to end on the test server. It uses the real installer and guard.</summary>
[Category(Categories.Database)]
[NonParallelizable]
public partial class DemoTests
{
    private const string GuardStopped = "✓ the guard (GuardMode.Throw) stopped it before it was sent:";
    private const string GuardMessage = "  TenantGuardException: INSERT into public.customers writes tenant 'globex', but this connection belongs to tenant 'acme'.";
    private const string PolicyStopped = "✓ with GuardMode.Off the statement reaches the database, and the policy's WITH CHECK refuses it:";
    private const string PolicyMessage = "  PostgresException 42501: new row violates row-level security policy for table \"customers\"";

    [Test]
    public async Task The_demo_runs_every_step_and_exits_0()
    {
        var server = await TestServer.GetAsync();
        var run = await CliRun.RunAsync("demo", "--connection", server.AdminConnectionString, "--iterations", "20");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Err.ShouldBeEmpty();
        run.Out.ShouldContain("✓ acme sees 2 customer(s), all its own");
        run.Out.ShouldContain("✓ globex sees 1 customer(s), all its own");
        run.Out.ShouldContain("✓ the new row's tenant is 'acme'");
        run.Out.ShouldContain("✓ count(*) = 0: an unset tenant matches no row, never every row");
        run.Out.ShouldContain("TenantConnection (app login, RLS policy)");
        run.Out.ShouldContain("Demo finished in ");
        run.Out.ShouldContain("every check passed.");
        run.Out.ShouldNotContain("✗");
    }

    [Test]
    public async Task The_guard_stops_the_wrong_tenant_insert_and_with_the_guard_off_the_policy_does()
    {
        var server = await TestServer.GetAsync();
        var run = await CliRun.RunAsync("demo", "--connection", server.AdminConnectionString, "--iterations", "1");
        run.ExitCode.ShouldBe(0, run.ToString());
        var lines = Lines(run.Out);

        // Which layer stopped each attempt: the line after each verdict names the exception and who raised it.
        lines[lines.IndexOf(GuardStopped) + 1].ShouldStartWith(GuardMessage);
        lines[lines.IndexOf(PolicyStopped) + 1].ShouldBe(PolicyMessage);
        lines.ShouldContain("✓ neither attempt wrote a row: a superuser counts 0 Mallory row(s)");
    }

    [Test]
    public async Task A_guard_that_lets_the_wrong_tenant_insert_through_fails_the_demo_even_though_the_policy_refuses_it()
    {
        var server = await TestServer.GetAsync();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var demo = new DemoRunner(new CliContext(output, error), iterations: 1) { ConfigureTenants = o => o.GuardMode = TenantGuardMode.Off };

        var exitCode = await demo.RunAsync(server.AdminConnectionString, CancellationToken.None);

        exitCode.ShouldBe(ExitCodes.Failure, output.ToString());
        var lines = Lines(output.ToString());
        lines.ShouldNotContain(GuardStopped);
        var missed = lines.IndexOf("✗ the guard (GuardMode.Throw) let it through; the database's policy refused it instead:");
        missed.ShouldBeGreaterThan(0, output.ToString());
        lines[missed + 1].ShouldBe(PolicyMessage);
        lines.ShouldContain("  ✗ step 6: the guard (GuardMode.Throw) let it through; the database's policy refused it instead:");
        output.ToString().ShouldContain("1 check(s) failed:");
    }

    [Test]
    public async Task The_demo_leaves_no_database_or_role_behind()
    {
        var server = await TestServer.GetAsync();
        var run = await CliRun.RunAsync("demo", "--connection", server.AdminConnectionString, "--iterations", "1");
        run.ExitCode.ShouldBe(0, run.ToString());
        await ShouldBeGoneAsync(server.AdminConnectionString, DemoNames(run.Out));
    }

    [Test]
    public async Task A_demo_that_fails_midway_drops_its_database_and_roles()
    {
        var server = await TestServer.GetAsync();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var demo = new DemoRunner(new CliContext(output, error), iterations: 1)
        {
            ConfigureTenants = _ => throw new InvalidOperationException("planted failure after the database was created"),
        };

        (await Should.ThrowAsync<InvalidOperationException>(() => demo.RunAsync(server.AdminConnectionString, CancellationToken.None)))
            .Message.ShouldBe("planted failure after the database was created");

        await ShouldBeGoneAsync(server.AdminConnectionString, DemoNames(output.ToString()));
    }

    [Test]
    public async Task Ctrl_C_during_the_demo_drops_its_database_and_roles()
    {
        var server = await TestServer.GetAsync();
        var (exitCode, output, error) = await InterruptDemoAsync("--connection", server.AdminConnectionString);

        exitCode.ShouldBe(ExitCodes.Failure, output);
        error.Trim().ShouldBe("error: cancelled.");
        output.ShouldContain("Cleaning up: dropping the database and its roles.");
        await ShouldBeGoneAsync(server.AdminConnectionString, DemoNames(output));
    }

    [Test]
    public async Task Ctrl_C_during_the_demo_stops_and_removes_its_throwaway_server()
    {
        var (exitCode, output, error) = await InterruptDemoAsync();

        exitCode.ShouldBe(ExitCodes.Failure, output);
        error.Trim().ShouldBe("error: cancelled.");
        output.ShouldContain("Cleaning up: dropping the database and its roles, stopping the server.");
        var cluster = ClusterLine().Match(output);
        cluster.Success.ShouldBeTrue(output);
        Directory.Exists(cluster.Groups["data"].Value).ShouldBeFalse("the cluster's folder is removed");
        using var client = new System.Net.Sockets.TcpClient();
        await Should.ThrowAsync<System.Net.Sockets.SocketException>(() => client.ConnectAsync("127.0.0.1", int.Parse(cluster.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// Runs the demo as its own process, sends it SIGINT (what Ctrl+C sends) once it prints the timing step, which
    /// 100,000 iterations keep busy, and waits for it to end.
    /// </summary>
    private static async Task<(int ExitCode, string Output, string Error)> InterruptDemoAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[Path.Combine(AppContext.BaseDirectory, "DapperTenants.Cli.dll"), "demo", "--iterations", "100000", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        var timing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (e.Data?.StartsWith("8. Timing", StringComparison.Ordinal) == true)
            {
                timing.TrySetResult();
            }
        };
        process.BeginOutputReadLine();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await timing.Task.WaitAsync(TimeSpan.FromMinutes(2));
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
                kill.ExitCode.ShouldBe(0);
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var errors = await error;
        lock (output)
        {
            return (process.ExitCode, output.ToString(), errors);
        }
    }

    private static (string Database, string Owner, string App) DemoNames(string output)
    {
        var match = DatabaseLine().Match(output);
        match.Success.ShouldBeTrue(output);
        return (match.Groups["db"].Value, match.Groups["owner"].Value, match.Groups["app"].Value);
    }

    private static async Task ShouldBeGoneAsync(string adminConnectionString, (string Database, string Owner, string App) names)
    {
        await using var admin = new NpgsqlConnection(adminConnectionString);
        await admin.OpenAsync();
        (await admin.ExecuteScalarAsync<long>("select count(*) from pg_database where datname = @Database", new { names.Database }))
            .ShouldBe(0, $"database {names.Database}");
        (await admin.ExecuteScalarAsync<long>("select count(*) from pg_roles where rolname in (@Owner, @App)", new { names.Owner, names.App }))
            .ShouldBe(0, $"roles {names.Owner}, {names.App}");
    }

    private static List<string> Lines(string text) => text.Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n').ToList();

    [GeneratedRegex(@"^Database (?<db>demo_\w+): owner role (?<owner>demo_owner_\w+), app login (?<app>demo_app_\w+) ", RegexOptions.Multiline)]
    private static partial Regex DatabaseLine();

    [GeneratedRegex(@"^PostgreSQL: a local PostgreSQL cluster in (?<data>\S+) on port (?<port>\d+)", RegexOptions.Multiline)]
    private static partial Regex ClusterLine();
}
