using Dapper;
using DapperTenants;
using Npgsql;

namespace PackageSmoke;

/// <summary>The README's Quick start, line for line (run.sh checks that every line of it is in this project).</summary>
internal static class QuickStart
{
    public static async Task<(List<Order> Before, List<Order> After)> RunAsync(string ownerConnectionString, string appConnectionString)
    {
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
        return (orders.OrderBy(o => o.Id).ToList(), conn.Query<Order>("select * from orders order by id").ToList());
    }
}

[Rls("orders")]                       // tenant column: the Tenant property
public sealed class Order
{
    public int Id { get; set; }
    public string Tenant { get; set; } = "";
    public decimal Total { get; set; }
}
