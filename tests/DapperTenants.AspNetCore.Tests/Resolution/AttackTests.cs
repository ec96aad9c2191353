using System.Net;
using System.Security.Claims;
using DapperTenants.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DapperTenants.AspNetCore.Tests.Resolution;

/// <summary>What a client can send to reach another tenant, or to make the app fail: each is answered before the endpoint runs.</summary>
[Category(Categories.Database)]
public sealed class AttackTests
{
    private ShopDatabase _database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _database = await ShopDatabase.CreateAsync("aspnet_attack");

    [OneTimeTearDown]
    public async Task DropDatabase() => await _database.DisposeAsync();

    private Task<TestApp> ClaimAndHeaderAsync() =>
        TenantEndpoints.StartAsync(_database, t => t.FromClaim(TestUserHandler.ClaimType).FromHeader("X-Tenant"), authentication: true);

    [Test]
    public async Task Header_that_disagrees_with_the_users_claim_is_refused_with_403()
    {
        await using var app = await ClaimAndHeaderAsync();
        var response = await app.GetAsync("/tenants", (TestUserHandler.UserHeader, "ann"), (TestUserHandler.ClaimHeader, "acme"), ("X-Tenant", "globex"));
        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var problem = await TenantEndpoints.ProblemAsync(response);
        problem.GetProperty("title").GetString().ShouldBe("Tenant mismatch");
        problem.GetProperty("detail").GetString().ShouldBe("The tenant named by the request is not a tenant of the signed-in user.");
    }

    [Test]
    public async Task Header_that_disagrees_with_a_claim_configured_after_it_is_refused_too()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromHeader("X-Tenant").FromClaim(TestUserHandler.ClaimType), authentication: true);
        var response = await app.GetAsync("/tenants", (TestUserHandler.UserHeader, "ann"), (TestUserHandler.ClaimHeader, "acme"), ("X-Tenant", "globex"));
        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Test]
    public async Task Route_value_that_disagrees_with_the_users_claim_is_refused_with_403()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromClaim(TestUserHandler.ClaimType).FromRoute("tenant"), authentication: true);
        var response = await app.GetAsync("/t/globex/tenants", (TestUserHandler.UserHeader, "ann"), (TestUserHandler.ClaimHeader, "acme"));
        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Test]
    public async Task Header_that_agrees_with_the_users_claim_runs()
    {
        await using var app = await ClaimAndHeaderAsync();
        var response = await app.GetAsync("/tenants", (TestUserHandler.UserHeader, "ann"), (TestUserHandler.ClaimHeader, "acme"), ("X-Tenant", "acme"));
        (await response.Content.ReadAsStringAsync()).ShouldBe("acme|acme|acme");
    }

    [Test]
    public async Task User_of_several_tenants_picks_one_of_them_by_header()
    {
        await using var app = await ClaimAndHeaderAsync();
        (string, string)[] user = [(TestUserHandler.UserHeader, "ann"), (TestUserHandler.ClaimHeader, "acme"), (TestUserHandler.ClaimHeader, "globex")];
        (await (await app.GetAsync("/tenants", [.. user, ("X-Tenant", "globex")])).Content.ReadAsStringAsync()).ShouldBe("globex|globex|globex");
        (await app.GetAsync("/tenants", [.. user, ("X-Tenant", "initech")])).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.GetAsync("/tenants", user)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Anonymous_request_falls_back_to_the_header()
    {
        await using var app = await ClaimAndHeaderAsync();
        var response = await app.GetAsync("/tenants", ("X-Tenant", "initech"));
        (await response.Content.ReadAsStringAsync()).ShouldBe("initech|initech|initech");
    }

    [Test]
    public async Task Claims_of_an_unauthenticated_identity_name_no_tenant()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromClaim(TestUserHandler.ClaimType), authentication: true,
            beforeTenants: app =>
            {
                app.UseAuthentication();
                app.Use((context, next) =>
                {
                    // Claims any code could add: an identity without an authentication type is not signed in.
                    context.User.AddIdentity(new ClaimsIdentity([new Claim(TestUserHandler.ClaimType, "globex")]));
                    return next(context);
                });
            });
        var response = await app.GetAsync("/tenants");
        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Claim_strategy_refuses_to_run_before_authentication()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromClaim(TestUserHandler.ClaimType).FromHeader("X-Tenant"),
            authentication: true, beforeTenants: app =>
            {
                app.UseDapperTenants();
                app.UseAuthentication();
            });
        var error = await Should.ThrowAsync<InvalidOperationException>(() =>
            app.GetAsync("/tenants", (TestUserHandler.UserHeader, "ann"), (TestUserHandler.ClaimHeader, "acme"), ("X-Tenant", "globex")));
        error.Message.ShouldBe(
            "UseDapperTenants() runs before authentication, so the tenant claim cannot be checked and a header, route or host "
            + "value would decide alone. Call app.UseAuthentication() before app.UseDapperTenants().");
    }

    [Test]
    public async Task Header_sent_twice_is_refused_with_400()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromHeader("X-Tenant"));
        var request = new HttpRequestMessage(HttpMethod.Get, "/tenants");
        request.Headers.TryAddWithoutValidation("X-Tenant", ["acme", "globex"]);
        var response = await app.Client.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await TenantEndpoints.ProblemAsync(response);
        problem.GetProperty("title").GetString().ShouldBe("Invalid tenant");
        problem.GetProperty("detail").GetString().ShouldBe("The request names the tenant 2 times through header 'X-Tenant'.");
    }

    [Test]
    public async Task Tenant_longer_than_the_limit_is_refused_with_400_not_500()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromHeader("X-Tenant"));
        var response = await app.GetAsync("/tenants", ("X-Tenant", new string('a', 300)));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await TenantEndpoints.ProblemAsync(response)).GetProperty("detail").GetString().ShouldBe("The tenant value is 300 characters long; the limit is 256.");
    }

    // Built in code: an attribute argument cannot hold an unpaired surrogate (metadata stores UTF-8).
    private static readonly object[] RefusedValues =
    [
        new object[] { "   ", "The tenant value is empty or whitespace." },
        new object[] { "a\0b", "The tenant value contains a NUL character." },
        new object[] { "a" + (char)0xD800 + "b", "The tenant value contains an unpaired UTF-16 surrogate." },
    ];

    [TestCaseSource(nameof(RefusedValues))]
    public async Task Tenant_the_data_source_would_refuse_is_refused_with_400(string tenant, string detail)
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.From(_ => ValueTask.FromResult<string?>(tenant)));
        var response = await app.GetAsync("/tenants");
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await TenantEndpoints.ProblemAsync(response)).GetProperty("detail").GetString().ShouldBe(detail);
    }

    [Test]
    public async Task Limit_follows_the_data_sources_options()
    {
        await using var app = await TestApp.StartAsync(
            b => b.Services.AddDapperTenants(_database.AppConnectionString, o => o.MaxTenantLength = 4).FromHeader("X-Tenant"),
            a =>
            {
                a.UseDapperTenants();
                a.MapGet("/tenants", TenantEndpoints.Report);
            });
        (await app.GetAsync("/tenants", ("X-Tenant", "acme"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.GetAsync("/tenants", ("X-Tenant", "globex"))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Test]
    public async Task Tenant_quoted_like_sql_is_only_a_value()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromHeader("X-Tenant"));
        var response = await app.GetAsync("/tenants", ("X-Tenant", "acme' or '1'='1"));
        (await response.Content.ReadAsStringAsync()).ShouldBe("acme' or '1'='1|acme' or '1'='1|");
    }
}
