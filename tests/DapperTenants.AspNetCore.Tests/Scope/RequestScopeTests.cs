using DapperTenants.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DapperTenants.AspNetCore.Tests.Scope;

/// <summary>The scope the middleware opens for a request: current inside it, gone after it.</summary>
[Category(Categories.Database)]
public sealed class RequestScopeTests
{
    private ShopDatabase _database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _database = await ShopDatabase.CreateAsync("aspnet_scope");

    [OneTimeTearDown]
    public async Task DropDatabase() => await _database.DisposeAsync();

    [Test]
    public async Task Request_scope_does_not_outlive_the_request_in_work_it_started()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requestEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<string?>? background = null;
        await using var app = await TestApp.StartAsync(
            b => b.Services.AddDapperTenants(_database.AppConnectionString).FromHeader("X-Tenant"),
            a =>
            {
                a.Use(async (context, next) =>
                {
                    await next(context);
                    requestEnded.TrySetResult();
                });
                a.UseDapperTenants();
                a.MapGet("/fire-and-forget", () =>
                {
                    background = Task.Run(async () =>
                    {
                        await release.Task;
                        return TenantScope.Current;
                    });
                    return TenantScope.Current;
                });
            });

        (await (await app.GetAsync("/fire-and-forget", ("X-Tenant", "acme"))).Content.ReadAsStringAsync()).ShouldBe("acme");
        await requestEnded.Task.WaitAsync(TimeSpan.FromSeconds(10));
        release.SetResult();
        (await background!).ShouldBeNull();
    }

    [Test]
    public async Task Next_request_on_the_same_connection_starts_without_the_previous_tenant()
    {
        await using var app = await TenantEndpoints.StartAsync(_database, t => t.FromHeader("X-Tenant"));
        (await (await app.GetAsync("/open", ("X-Tenant", "acme"))).Content.ReadAsStringAsync()).ShouldBe("acme");
        (await (await app.GetAsync("/open")).Content.ReadAsStringAsync()).ShouldBe("(none)");
    }

    [Test]
    public async Task Nested_scope_inside_a_request_opens_for_its_tenant_and_restores_the_requests()
    {
        await using var app = await TestApp.StartAsync(
            b => b.Services.AddDapperTenants(_database.AppConnectionString).FromHeader("X-Tenant"),
            a =>
            {
                a.UseDapperTenants();
                a.MapGet("/nested", async (TenantDataSource tenants) =>
                {
                    string inner;
                    using (TenantScope.Begin("globex"))
                    {
                        await using var conn = await tenants.OpenCurrentAsync();
                        inner = string.Join(",", await conn.QueryAsync<string>("select distinct tenant from orders"));
                    }

                    return $"{inner}|{TenantScope.Current}";
                });
            });
        (await (await app.GetAsync("/nested", ("X-Tenant", "acme"))).Content.ReadAsStringAsync()).ShouldBe("globex|acme");
    }
}
