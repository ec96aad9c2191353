using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Cli;

/// <summary>The README's first command, end to end on the test server. It uses the real installer and guard.</summary>
[Category(Categories.Database)]
public class DemoTests
{
    [Test]
    public async Task The_demo_runs_every_step_and_exits_0()
    {
        var server = await TestServer.GetAsync();
        var run = await CliRun.RunAsync("demo", "--connection", server.AdminConnectionString, "--iterations", "20");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Err.ShouldBeEmpty();
        run.Out.ShouldContain("acme sees 2 customer(s), all its own");
        run.Out.ShouldContain("globex sees 1 customer(s), all its own");
        run.Out.ShouldContain("the new row's tenant is 'acme'");
        run.Out.ShouldContain("with GuardMode.Off the statement reaches the database, and the policy's WITH CHECK refuses it:");
        run.Out.ShouldContain("count(*) = 0: an unset tenant matches no row, never every row");
        run.Out.ShouldContain("TenantConnection (app login, RLS policy)");
        run.Out.ShouldContain("Demo finished in ");
        run.Out.ShouldContain("every check passed.");
        run.Out.ShouldNotContain("✗");
    }

    [Test]
    public async Task The_demo_leaves_no_database_or_role_behind()
    {
        var server = await TestServer.GetAsync();
        await using var admin = Npgsql.NpgsqlDataSource.Create(server.AdminConnectionString);
        const string count = "select (select count(*) from pg_database where datname like 'demo\\_%') + (select count(*) from pg_roles where rolname like 'demo\\_%')";
        var before = (long)(await admin.CreateCommand(count).ExecuteScalarAsync())!;
        await CliRun.RunAsync("demo", "--connection", server.AdminConnectionString, "--iterations", "1");
        ((long)(await admin.CreateCommand(count).ExecuteScalarAsync())!).ShouldBe(before);
    }
}
