using System.Diagnostics;
using DapperTenants.Testing;
using Npgsql;
using PackageSmoke;

// Usage: PackageSmoke <feed> <version> <commit>. Exit code 0 when every check passed.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: PackageSmoke <feed folder> <version> <commit>");
    return 2;
}

var (feed, version, commit) = (args[0], args[1], args[2]);
var deterministic = Environment.GetEnvironmentVariable("CI") == "true";
var clock = Stopwatch.StartNew();

Console.WriteLine($"Packages in the feed (version {version}, commit {commit[..12]}{(deterministic ? ", CI build" : "")}):");
var problems = PackageChecks.Run(feed, version, commit, deterministic);
if (problems.Count > 0)
{
    Console.Error.WriteLine("Package problems:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  " + p)));
    return 1;
}

// Once per test run: the server in DAPPER_TENANTS_TEST_CONNECTION, a Docker container, or a throwaway local cluster.
await using var server = await PostgresServer.StartAsync();
Console.WriteLine($"PostgreSQL: {server.Description} ({clock.Elapsed.TotalSeconds:F1} s)");

await using (var database = await server.CreateDatabaseAsync("quickstart"))
{
    await database.ExecuteAsOwnerAsync("create table orders (id int primary key, tenant text not null, total numeric not null)");
    await database.ExecuteAsAdminAsync("insert into orders values (1, 'acme', 10), (2, 'globex', 20)");
    var (before, after) = await QuickStart.RunAsync(database.OwnerConnectionString, database.AppConnectionString);
    var seen = string.Join(", ", before.Select(o => $"{o.Id}/{o.Tenant}"));
    var then = string.Join(", ", after.Select(o => $"{o.Id}/{o.Tenant}"));
    await using var admin = new NpgsqlConnection(database.AdminConnectionString);
    await admin.OpenAsync();
    await using var stamped = new NpgsqlCommand("select tenant from orders where id = 7", admin);
    var tenant = (string?)await stamped.ExecuteScalarAsync();
    if (seen != "1/acme" || then != "1/acme, 7/acme" || tenant != "acme")
    {
        Console.Error.WriteLine($"The README's Quick start misbehaved: acme saw [{seen}] (expected [1/acme]), then [{then}] (expected [1/acme, 7/acme]); row 7 has tenant '{tenant}' (expected 'acme').");
        return 1;
    }

    Console.WriteLine($"README Quick start: acme saw only its row, its insert was stamped 'acme' ({clock.Elapsed.TotalSeconds:F1} s)");
}

await using (var web = await server.CreateDatabaseAsync("web"))
{
    await web.ExecuteAsOwnerAsync("create table orders (id int primary key, tenant text not null, total numeric not null)");
    await web.ExecuteAsAdminAsync("insert into orders values (1, 'acme', 10), (2, 'globex', 20)");
    var answered = await AspNetCoreSample.RunAsync(web.AppConnectionString, web.OwnerConnectionString);
    Console.WriteLine($"ASP.NET Core sample: {answered} ({clock.Elapsed.TotalSeconds:F1} s)");
}

await TestKitSample.RunAsync(server);
Console.WriteLine($"Test kit sample: every assertion held, and a false one failed with PolicyAssertionException ({clock.Elapsed.TotalSeconds:F1} s)");
var standby = await StandbySample.RunAsync();
Console.WriteLine($"Standby sample: acme read only its row, on {standby} ({clock.Elapsed.TotalSeconds:F1} s)");
return 0;
