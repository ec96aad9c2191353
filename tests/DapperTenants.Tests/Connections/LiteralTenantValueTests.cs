using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Connections;

[Category(Categories.Database)]
public class LiteralTenantValueTests
{
    private static readonly string[] Values =
    [
        "a'; drop table orders; --",
        "O'Brien",
        "back\\slash",
        "semi;colon",
        "' OR '1'='1",
        "$$dollar$$",
        "ünïcødé — 租户 🏢",
        "acme ",
        "ACME",
        "аcme", // Cyrillic а: looks like acme, is not
    ];

    [Test]
    public async Task Unusual_tenant_values_are_bound_and_matched_literally()
    {
        await using var db = await OrdersDatabase.CreateAsync("literal");
        await using var tenants = db.CreateTenants();
        var ids = new Dictionary<string, int>();
        foreach (var value in Values)
        {
            await using var connection = await tenants.OpenAsync(value);
            var id = db.NextId();
            ids[value] = id;
            (await connection.ExecuteAsync("insert into orders (id, total) values (@id, 1)", new { id })).ShouldBe(1);
        }

        foreach (var value in Values)
        {
            await using var connection = await tenants.OpenAsync(value);
            var rows = (await connection.QueryAsync<Order>("select id, tenant, total, note from orders")).ToList();
            rows.Select(r => r.Id).ShouldBe([ids[value]], $"tenant {value} must see exactly its own row");
            rows[0].Tenant.ShouldBe(value);
        }

        await using var acme = await tenants.OpenAsync("acme");
        (await acme.QueryAsync<Order>("select id, tenant, total, note from orders")).Select(o => o.Id).ShouldBe([1, 2, 3, 4, 5], ignoreOrder: true);
        (await db.AllOrdersAsync()).Count.ShouldBe(10 + Values.Length, "no value was interpreted as SQL");
    }
}
