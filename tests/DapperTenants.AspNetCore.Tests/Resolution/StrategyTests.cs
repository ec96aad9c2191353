using System.Net;
using DapperTenants.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DapperTenants.AspNetCore.Tests.Resolution;

/// <summary>Each strategy, through the real pipeline and the real database: the endpoint sees one tenant's rows.</summary>
[Category(Categories.Database)]
public sealed class StrategyTests
{
    private ShopDatabase _database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _database = await ShopDatabase.CreateAsync("aspnet_strategy");

    [OneTimeTearDown]
    public async Task DropDatabase() => await _database.DisposeAsync();

    [Test]
    public async Task Header_names_the_tenant()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromHeader("X-Tenant"));
        var response = await app.GetAsync("/tenants", ("X-Tenant", "acme"));
        (await response.Content.ReadAsStringAsync()).ShouldBe("acme|acme|acme");
    }

    [Test]
    public async Task Claim_of_the_signed_in_user_names_the_tenant()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromClaim(TestUserHandler.ClaimType), authentication: true);
        var response = await app.GetAsync("/tenants", (TestUserHandler.UserHeader, "ann"), (TestUserHandler.ClaimHeader, "globex"));
        (await response.Content.ReadAsStringAsync()).ShouldBe("globex|globex|globex");
    }

    [Test]
    public async Task Subdomain_of_the_configured_domain_names_the_tenant_in_lower_case()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromHost("example.com"));
        var response = await app.Client.GetAsync("http://Initech.Example.com/tenants");
        (await response.Content.ReadAsStringAsync()).ShouldBe("initech|initech|initech");
    }

    [TestCase("http://example.com/tenants")]
    [TestCase("http://a.acme.example.com/tenants")]
    [TestCase("http://acme.evilexample.com/tenants")]
    [TestCase("http://acme.example.com.evil.net/tenants")]
    [TestCase("http://localhost/tenants")]
    public async Task Host_names_outside_one_label_under_the_domain_name_no_tenant(string url)
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromHost("example.com"));
        var response = await app.Client.GetAsync(url);
        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Route_value_names_the_tenant()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromRoute("tenant"));
        var response = await app.Client.GetAsync("/t/globex/tenants");
        (await response.Content.ReadAsStringAsync()).ShouldBe("globex|globex|globex");
    }

    [Test]
    public async Task Custom_resolver_names_the_tenant()
    {
        await using var app = await TenantEndpoints.StartAsync(_database,
            t => t.From(context => ValueTask.FromResult<string?>(context.Request.Query["tenant"].ToString())));
        var response = await app.Client.GetAsync("/tenants?tenant=initech");
        (await response.Content.ReadAsStringAsync()).ShouldBe("initech|initech|initech");
    }

    [Test]
    public async Task First_strategy_that_finds_a_value_wins()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromHeader("X-Tenant").FromRoute("tenant"));
        (await (await app.GetAsync("/t/globex/tenants", ("X-Tenant", "acme"))).Content.ReadAsStringAsync()).ShouldBe("acme|acme|acme");
        (await (await app.GetAsync("/t/globex/tenants")).Content.ReadAsStringAsync()).ShouldBe("globex|globex|globex");
    }

    [Test]
    public async Task Tenant_without_rows_sees_no_rows()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromHeader("X-Tenant"));
        var response = await app.GetAsync("/tenants", ("X-Tenant", "umbrella"));
        (await response.Content.ReadAsStringAsync()).ShouldBe("umbrella|umbrella|");
    }

    [Test]
    public async Task Endpoint_that_needs_a_tenant_answers_404_problem_details_without_one()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromHeader("X-Tenant"));
        var response = await app.GetAsync("/tenants");
        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var problem = await TenantEndpoints.ProblemAsync(response);
        problem.GetProperty("status").GetInt32().ShouldBe(404);
        problem.GetProperty("title").GetString().ShouldBe("No tenant");
        problem.GetProperty("detail").GetString().ShouldBe("This endpoint needs a tenant, and the request names none.");
    }

    [TestCase(StatusCodes.Status400BadRequest)]
    [TestCase(StatusCodes.Status401Unauthorized)]
    [TestCase(StatusCodes.Status403Forbidden)]
    public async Task Answer_to_a_missing_tenant_takes_the_configured_status(int status)
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromHeader("X-Tenant").OnMissingTenant(status));
        var response = await app.GetAsync("/tenants");
        ((int)response.StatusCode).ShouldBe(status);
        (await TenantEndpoints.ProblemAsync(response)).GetProperty("status").GetInt32().ShouldBe(status);
    }

    [Test]
    public async Task Answer_to_a_missing_tenant_can_be_the_applications_own()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromHeader("X-Tenant").OnMissingTenant(async context =>
        {
            context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            context.Response.Headers.Location = "/choose-tenant";
            await context.Response.WriteAsync("choose");
        }));
        var response = await app.GetAsync("/tenants");
        response.StatusCode.ShouldBe(HttpStatusCode.TemporaryRedirect);
        response.Headers.Location!.ToString().ShouldBe("/choose-tenant");
    }

    [Test]
    public void Other_statuses_for_a_missing_tenant_are_refused()
    {
        var services = new ServiceCollection();
        var builder = services.AddDapperTenants("Host=localhost");
        Should.Throw<ArgumentOutOfRangeException>(() => builder.OnMissingTenant(500)).Message.ShouldStartWith(
            "A request without a tenant is answered with 400, 401, 403 or 404. For anything else, pass a handler to OnMissingTenant.");
    }
}
