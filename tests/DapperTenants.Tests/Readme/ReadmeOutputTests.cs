using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Readme;

/// <summary>
/// The README's SQL and transcripts are what the code produces: each test runs the code and compares its output with
/// the README's checked block (<see cref="ReadmeFile"/>); with <c>DAPPER_TENANTS_UPDATE_README=1</c> it rewrites the block.
/// </summary>
[Category(Categories.Database)]
[NonParallelizable]
public class ReadmeOutputTests
{
    [Test]
    public async Task The_policy_sql_in_the_readme_is_the_installers_plan_for_the_quick_start_order()
    {
        await using var database = await TestServer.CreateDatabaseAsync("readme_policy");
        await database.ExecuteAsOwnerAsync("create table orders (id int primary key, tenant text not null, total numeric not null); create index on orders (tenant);");
        await using var owner = database.CreateOwnerDataSource();

        var plan = await new PolicyInstaller(owner).Add<QuickStartTests.Order>().PlanAsync();

        ReadmeFile.ShouldMatch("policy-sql", plan.ToSql());
    }
}
