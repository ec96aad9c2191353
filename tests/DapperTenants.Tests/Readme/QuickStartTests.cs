using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Readme;

/// <summary>The README's introduction and quick start, verbatim between the markers, compiled and run against a real database.</summary>
[Category(Categories.Database)]
public class QuickStartTests
{
    [Test]
    public async Task The_quick_start_shows_each_tenant_only_its_rows_and_stamps_inserts()
    {
        await using var database = await TestServer.CreateDatabaseAsync("quickstart");
        await database.ExecuteAsOwnerAsync("create table orders (id int primary key, tenant text not null, total numeric not null); create index on orders (tenant);");
        await database.ExecuteAsAdminAsync("insert into orders values (1, 'acme', 10), (2, 'globex', 20)");

        var (before, after) = await QuickStartAsync(database.OwnerConnectionString, database.AppConnectionString);

        before.Select(o => (o.Id, o.Tenant)).ShouldBe([(1, "acme")]);
        after.Select(o => (o.Id, o.Tenant)).ShouldBe([(1, "acme"), (7, "acme")]);

        await using var tenants = database.CreateTenantDataSource();
        var order = new Order { Id = 8, Total = 1m };
        Intro(tenants, order).Select(o => o.Id).ShouldBe([1, 7]);
        await using var admin = new NpgsqlConnection(database.AdminConnectionString);
        (await admin.ExecuteScalarAsync<string>("select tenant from orders where id = 8")).ShouldBe("acme");
    }

    private static List<Order> Intro(TenantDataSource tenants, Order order)
    {
        // README sample intro: Intro
        using var conn = tenants.Open("acme");                        // per unit of work
        var orders = conn.Query<Order>("select * from orders");       // only acme's rows
        conn.Execute("insert into orders (id, total) values (@Id, @Total)", order);  // tenant stamped by the database
        // README sample end
        return orders.OrderBy(o => o.Id).ToList();
    }

    // README sample quick-start: Order
    [Rls("orders")]                       // tenant column: the Tenant property
    public sealed class Order
    {
        public int Id { get; set; }
        public string Tenant { get; set; } = "";
        public decimal Total { get; set; }
    }
    // README sample end

    private static async Task<(List<Order> Before, List<Order> After)> QuickStartAsync(string ownerConnectionString, string appConnectionString)
    {
        // README sample quick-start: QuickStartAsync
        // Once, at startup, as the owner of the tables:
        await using var owner = NpgsqlDataSource.Create(ownerConnectionString);
        await new PolicyInstaller(owner).Add<Order>().ApplyAsync();

        // Once per application, as the application's login (NOSUPERUSER NOBYPASSRLS, not the owner):
        await using var tenants = TenantDataSource.Create(appConnectionString);

        // Per unit of work:
        using var conn = tenants.Open("acme");
        var orders = conn.Query<Order>("select * from orders");                          // only acme's rows
        conn.Execute("insert into orders (id, total) values (@Id, @Total)",
            new Order { Id = 7, Total = 9.5m });                                          // tenant stamped: 'acme'
        // README sample end
        return (orders.ToList(), conn.Query<Order>("select * from orders order by id").ToList());
    }
}
