using System.Net;
using System.Net.Http.Json;
using DapperTenants.AspNetCore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace DapperTenants.AspNetCore.Tests.Sample;

/// <summary>The README's sample app, started by WebApplicationFactory against a fresh database: it installs its own policies.</summary>
[Category(Categories.Database)]
public sealed class SampleAppTests
{
    private ShopDatabase _database = null!;
    private SampleFactory _factory = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartSample()
    {
        _database = await ShopDatabase.CreateAsync("aspnet_sample", installPolicies: false);
        (await _database.RlsStateAsync()).ShouldBe((false, false, 0L));
        _factory = new SampleFactory(_database.AppConnectionString, _database.OwnerConnectionString);
        _client = _factory.CreateClient();
    }

    [OneTimeTearDown]
    public async Task StopSample()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Test]
    public async Task Startup_installed_forced_row_level_security_on_the_sample_table()
    {
        (await _database.RlsStateAsync()).ShouldBe((true, true, 1L));
    }

    [Test]
    public async Task Each_tenant_reads_only_its_orders()
    {
        var acme = await GetOrdersAsync("acme");
        acme.Select(o => o.Id).ShouldBe([1, 2, 3]);
        acme.ShouldAllBe(o => o.Tenant == "acme");
        (await GetOrdersAsync("globex")).Select(o => o.Id).ShouldBe([101, 102]);
    }

    [Test]
    public async Task Posted_order_is_stamped_with_the_requests_tenant()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/orders") { Content = JsonContent.Create(new { id = 5001, total = 12.5m, tenant = "globex" }) };
        request.Headers.Add("X-Tenant", "initech");
        var response = await _client.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await _database.AllOrdersAsync()).Single(o => o.Id == 5001).Tenant.ShouldBe("initech");
    }

    [Test]
    public async Task Request_without_tenant_gets_404_and_health_runs_without_one()
    {
        (await _client.GetAsync("/orders")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var health = await _client.GetAsync("/health");
        (await health.Content.ReadAsStringAsync()).ShouldBe("Healthy");
    }

    [Test]
    public async Task Concurrent_requests_for_random_tenants_each_see_only_their_own_rows()
    {
        var rows = await _database.SeedTenantsAsync(20, seed: 17);
        var tenants = rows.Keys.ToArray();
        var random = new Random(42);
        var plan = Enumerable.Range(0, 500).Select(_ => tenants[random.Next(tenants.Length)]).ToArray();

        var results = await Task.WhenAll(plan.Select(async tenant => (Tenant: tenant, Orders: await GetOrdersAsync(tenant))));

        var leaks = results.Sum(r => r.Orders.Count(o => o.Tenant != r.Tenant));
        leaks.ShouldBe(0);
        foreach (var (tenant, orders) in results)
        {
            orders.Select(o => o.Id).ShouldBe(rows[tenant], $"tenant {tenant}");
        }

        results.Select(r => r.Tenant).Distinct().Count().ShouldBe(20);
    }

    [Test]
    public void Data_source_logs_through_the_applications_logger_factory()
    {
        var tenants = _factory.Services.GetRequiredService<TenantDataSource>();
        tenants.Options.LoggerFactory.ShouldBeSameAs(_factory.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>());
    }

    private async Task<List<Order>> GetOrdersAsync(string tenant)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/orders");
        request.Headers.Add("X-Tenant", tenant);
        using var response = await _client.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<List<Order>>())!;
    }
}
