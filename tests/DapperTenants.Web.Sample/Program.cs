using Dapper;
using DapperTenants;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddDapperTenants(builder.Configuration.GetConnectionString("App")!)
    .FromHeader("X-Tenant")
    .ApplyPoliciesAtStartup(builder.Configuration.GetConnectionString("Owner")!, policies => policies.Add<Order>());
builder.Services.AddHealthChecks().AddDapperTenantsHealthCheck();

var app = builder.Build();
app.UseDapperTenants();

app.MapGet("/orders", (TenantConnection db) => db.QueryAsync<Order>("select * from orders order by id"));
app.MapPost("/orders", async (Order order, TenantConnection db) =>
{
    await db.ExecuteAsync("insert into orders (id, total) values (@Id, @Total)", order);
    return Results.Created($"/orders/{order.Id}", order);
});
app.MapHealthChecks("/health").AllowWithoutTenant();

app.Run();

[Rls("orders")]
public sealed class Order
{
    public int Id { get; set; }
    public string Tenant { get; set; } = "";
    public decimal Total { get; set; }
}
