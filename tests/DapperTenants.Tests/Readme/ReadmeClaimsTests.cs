using System.Text.Json.Nodes;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Readme;

/// <summary>Claims of the README's prose that no other suite checks.</summary>
[Category(Categories.Database)]
public class ReadmeClaimsTests
{
    [Test]
    public async Task The_installed_policy_reads_the_tenant_setting_once_per_statement_not_once_per_row()
    {
        await using var database = await TestServer.CreateDatabaseAsync("once_per_statement");
        await database.ExecuteAsOwnerAsync("create table orders (id int primary key, tenant text not null, total numeric not null); create index on orders (tenant);");
        await using (var owner = database.CreateOwnerDataSource())
        {
            await new PolicyInstaller(owner).Add<QuickStartTests.Order>().ApplyAsync();
        }

        await database.ExecuteAsAdminAsync("insert into orders select i, case when i % 10 = 0 then 'globex' else 'acme' end, i from generate_series(1, 2000) i; analyze orders;");
        await using var app = new NpgsqlConnection(database.AppConnectionString);
        await app.OpenAsync();
        await app.ExecuteAsync("select set_config('dapper_tenants.tenant', 'acme', false)");

        var explain = await app.ExecuteScalarAsync<string>("explain (analyze, verbose, format json) select * from orders");

        var nodes = Nodes(JsonNode.Parse(explain!)![0]!["Plan"]!).ToList();
        var reads = nodes.Where(n => OwnText(n).Contains("current_setting", StringComparison.Ordinal)).ToList();
        var read = reads.ShouldHaveSingleItem($"one plan node reads the setting:{Environment.NewLine}{explain}");
        read["Parent Relationship"]!.GetValue<string>().ShouldBe("InitPlan", "evaluated once before the scan, not in the scan's filter");
        Number(read, "Actual Loops").ShouldBe(1, "the InitPlan ran once");
        nodes.Where(n => n["Relation Name"]?.GetValue<string>() == "orders").Sum(n => Number(n, "Actual Rows") * Number(n, "Actual Loops"))
            .ShouldBe(1800, "the scan returned acme's 1,800 rows with that one read");
    }

    /// <summary>A count of the plan (PostgreSQL 18 prints rows with decimals).</summary>
    private static double Number(JsonNode node, string name) => node[name]!.GetValue<double>();

    private static IEnumerable<JsonNode> Nodes(JsonNode plan) =>
        [plan, .. (plan["Plans"]?.AsArray() ?? []).SelectMany(child => Nodes(child!))];

    /// <summary>A node's own fields (filters, outputs, conditions), without its children.</summary>
    private static string OwnText(JsonNode node) =>
        string.Concat(node.AsObject().Where(p => p.Key != "Plans").Select(p => p.Value?.ToJsonString() ?? string.Empty));
}
