using System.Globalization;
using BenchmarkDotNet.Attributes;
using Dapper;
using DapperTenants.Benchmarks.Infrastructure;
using DapperTenants.Benchmarks.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DapperTenants.Benchmarks.Scenarios;

/// <summary>
/// The per-request cost of the ASP.NET Core integration (issue #17/#20): the same endpoint — read one order of the
/// tenant named by the <c>X-Tenant</c> header — wired by hand (read the header, <c>OpenAsync</c> in the endpoint) and
/// through <c>UseDapperTenants()</c> with an injected, scoped <see cref="TenantConnection"/>. Both run in-process on
/// the test server, with a pool of their own; the difference is the middleware, the scope and the DI resolution.
/// </summary>
[MemoryDiagnoser]
public class AspNetCoreRequest
{
    private const string PolicySql = "select id, tenant, customer_id as CustomerId, total, created_at as CreatedAt from orders where id = @Id";

    private WebApplication _byHand = null!;
    private WebApplication _integration = null!;
    private HttpClient _byHandClient = null!;
    private HttpClient _integrationClient = null!;
    private OrderKey[] _keys = [];
    private int _next;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var dataset = await Dataset.ReadAsync(BenchDataSources.OwnerConnectionString);
        _keys = dataset.DrawKeys(4096, seed: 42);
        _byHand = await StartAsync(builder => builder.Services.AddSingleton(_ => BenchDataSources.Tenants(autoPrepare: false)), app =>
            app.MapGet("/orders/{id:long}", async (long id, HttpContext context, TenantDataSource tenants) =>
            {
                await using var db = await tenants.OpenAsync(context.Request.Headers["X-Tenant"].ToString(), context.RequestAborted);
                return await db.QueryFirstOrDefaultAsync<Order>(PolicySql, new { Id = id });
            }));
        _integration = await StartAsync(builder => builder.Services.AddDapperTenants(BenchDataSources.AppConnectionString).FromHeader("X-Tenant"), app =>
        {
            app.UseDapperTenants();
            app.MapGet("/orders/{id:long}", (long id, TenantConnection db) => db.QueryFirstOrDefaultAsync<Order>(PolicySql, new { Id = id }));
        });
        _byHandClient = _byHand.GetTestClient();
        _integrationClient = _integration.GetTestClient();
        var key = _keys[^1];
        foreach (var client in new[] { _byHandClient, _integrationClient })
        {
            var body = await SendAsync(client, key);
            if (!body.Contains($"\"id\":{key.Id},", StringComparison.Ordinal) || !body.Contains($"\"tenant\":\"{key.Tenant}\"", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The endpoint did not return order {key.Id} of {key.Tenant}: {body}");
            }
        }

        _next = 0;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _byHandClient.Dispose();
        _integrationClient.Dispose();
        await _byHand.DisposeAsync();
        await _integration.DisposeAsync();
    }

    [Benchmark(Baseline = true)]
    public Task<string> ByHand_OpenAsyncInEndpoint() => SendAsync(_byHandClient, NextKey());

    [Benchmark]
    public Task<string> UseDapperTenants_ScopedConnection() => SendAsync(_integrationClient, NextKey());

    private static async Task<string> SendAsync(HttpClient client, OrderKey key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/orders/" + key.Id.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("X-Tenant", key.Tenant);
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<WebApplication> StartAsync(Action<WebApplicationBuilder> services, Action<WebApplication> endpoints)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        services(builder);
        var app = builder.Build();
        endpoints(app);
        await app.StartAsync();
        return app;
    }

    private OrderKey NextKey() => _keys[_next++ & (_keys.Length - 1)];
}
