using System.Net;
using DapperTenants.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DapperTenants.AspNetCore.Tests.Pipeline;

/// <summary>Endpoints that need a tenant and endpoints that do not, in minimal APIs and MVC.</summary>
[Category(Categories.Database)]
public sealed class EndpointTests
{
    private ShopDatabase _database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _database = await ShopDatabase.CreateAsync("aspnet_endpoint");

    [OneTimeTearDown]
    public async Task DropDatabase() => await _database.DisposeAsync();

    [Test]
    public async Task Endpoint_marked_AllowWithoutTenant_runs_without_one()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromHeader("X-Tenant"));
        (await (await app.GetAsync("/open")).Content.ReadAsStringAsync()).ShouldBe("(none)");
        (await (await app.GetAsync("/open", ("X-Tenant", "globex"))).Content.ReadAsStringAsync()).ShouldBe("globex");
    }

    [Test]
    public async Task Endpoint_marked_AllowWithoutTenant_still_refuses_an_invalid_tenant()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromHeader("X-Tenant"));
        (await app.GetAsync("/open", ("X-Tenant", new string('x', 257)))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Test]
    public async Task Connection_injected_where_no_tenant_is_known_throws_a_clear_error()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromHeader("X-Tenant"));
        var error = await Should.ThrowAsync<InvalidOperationException>(() => app.GetAsync("/open-with-connection"));
        error.Message.ShouldBe(
            "A TenantConnection was requested where no tenant is known: the request named none (an endpoint marked AllowWithoutTenant), "
            + "app.UseDapperTenants() is missing from the pipeline, or the scope was created outside a request without a TenantScope. "
            + "Inject TenantConnection only where a tenant is resolved, or open one with TenantDataSource.Open(tenant).");
        (await (await app.GetAsync("/open-with-connection", ("X-Tenant", "acme"))).Content.ReadAsStringAsync()).ShouldBe("acme");
    }

    [Test]
    public async Task Unmatched_route_is_left_to_answer_404_itself()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromHeader("X-Tenant"));
        var response = await app.GetAsync("/nowhere");
        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType.ShouldBeNull();
    }

    [Test]
    public async Task Mvc_controller_gets_the_connection_in_its_constructor()
    {
        await using var app = await MvcAppAsync();
        (await (await app.GetAsync("/mvc/orders", ("X-Tenant", "globex"))).Content.ReadAsStringAsync()).ShouldBe("globex|101,102");
        (await app.GetAsync("/mvc/orders")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Mvc_action_marked_with_the_attribute_runs_without_a_tenant()
    {
        await using var app = await MvcAppAsync();
        (await (await app.GetAsync("/mvc/status")).Content.ReadAsStringAsync()).ShouldBe("(none)");
    }

    [Test]
    public async Task Connection_is_one_per_request_and_disposed_at_its_end()
    {
        var seen = new List<TenantConnection>();
        await using var app = await TestApp.StartAsync(
            b => b.Services.AddDapperTenants(_database.AppConnectionString).FromHeader("X-Tenant"),
            a =>
            {
                a.UseDapperTenants();
                a.MapGet("/twice", (IServiceProvider services) =>
                {
                    var first = services.GetRequiredService<TenantConnection>();
                    var second = services.GetRequiredService<TenantConnection>();
                    lock (seen)
                    {
                        seen.Add(first);
                    }

                    return ReferenceEquals(first, second) ? "same" : "different";
                });
            });
        (await (await app.GetAsync("/twice", ("X-Tenant", "acme"))).Content.ReadAsStringAsync()).ShouldBe("same");
        (await (await app.GetAsync("/twice", ("X-Tenant", "acme"))).Content.ReadAsStringAsync()).ShouldBe("same");
        seen.Count.ShouldBe(2);
        seen[0].ShouldNotBeSameAs(seen[1]);
        // The request's scope is disposed once the response is handed over, which can be just after the client has it.
        for (var i = 0; i < 100 && seen.Any(c => c.State != System.Data.ConnectionState.Closed); i++)
        {
            await Task.Delay(50);
        }

        seen.ShouldAllBe(c => c.State == System.Data.ConnectionState.Closed);
    }

    private Task<TestApp> MvcAppAsync() => TestApp.StartAsync(
        b =>
        {
            b.Services.AddDapperTenants(_database.AppConnectionString).FromHeader("X-Tenant");
            b.Services.AddControllers().AddApplicationPart(typeof(OrdersController).Assembly);
        },
        a =>
        {
            a.UseDapperTenants();
            a.MapControllers();
        });
}
