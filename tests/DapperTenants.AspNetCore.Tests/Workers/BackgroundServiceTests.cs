using DapperTenants.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DapperTenants.AspNetCore.Tests.Workers;

/// <summary>Work outside a request: a background service and DI scopes under a <see cref="TenantScope"/>.</summary>
[Category(Categories.Database)]
public sealed class BackgroundServiceTests
{
    private ShopDatabase _database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _database = await ShopDatabase.CreateAsync("aspnet_worker");

    [OneTimeTearDown]
    public async Task DropDatabase() => await _database.DisposeAsync();

    [Test]
    public async Task Background_service_works_through_tenants_one_scope_each()
    {
        var logs = new CapturingLoggerProvider();
        await using var app = await TestApp.StartAsync(
            b =>
            {
                b.Logging.AddProvider(logs);
                b.Services.AddDapperTenants(_database.AppConnectionString).FromHeader("X-Tenant");
                b.Services.AddHostedService<NightlyTotals>();
            },
            a => a.UseDapperTenants());
        var worker = app.Services.GetServices<IHostedService>().OfType<NightlyTotals>().Single();
        await worker.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30));

        logs.Events.Where(e => e.Category == typeof(NightlyTotals).FullName).Select(e => e.Message)
            .ShouldBe(["acme: 60.00", "globex: 3.00", "initech: 7.00"]);
    }

    [Test]
    public async Task Scoped_connection_outside_a_request_opens_for_the_current_scope()
    {
        await using var app = await TestApp.StartAsync(
            b => b.Services.AddDapperTenants(_database.AppConnectionString).FromHeader("X-Tenant"),
            a => a.UseDapperTenants());
        using (TenantScope.Begin("globex"))
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TenantConnection>();
            db.Tenant.ShouldBe("globex");
            (await db.QueryAsync<int>("select id from orders order by id")).ShouldBe([101, 102]);
        }

        await using var outside = app.Services.CreateAsyncScope();
        Should.Throw<InvalidOperationException>(() => outside.ServiceProvider.GetRequiredService<TenantConnection>());
    }
}
