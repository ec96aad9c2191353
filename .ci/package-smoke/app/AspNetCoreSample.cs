using System.Net;
using System.Net.Sockets;
using Dapper;
using DapperTenants;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PackageSmoke;

/// <summary>
/// The sample of DapperTenants.AspNetCore's package README, line for line, served on a free loopback port; then
/// requests as a client would send them: acme's header reads acme's row only, no header is a 404, health is 200.
/// </summary>
internal static class AspNetCoreSample
{
    public static async Task<string> RunAsync(string appConnectionString, string ownerConnectionString)
    {
        var port = FreePort();
        string[] args =
        [
            $"--ConnectionStrings:App={appConnectionString}",
            $"--ConnectionStrings:Owner={ownerConnectionString}",
            $"--urls=http://127.0.0.1:{port}",
        ];

        var builder = WebApplication.CreateBuilder(args);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddDapperTenants(builder.Configuration.GetConnectionString("App")!)
            .FromHeader("X-Tenant")
            .ApplyPoliciesAtStartup(builder.Configuration.GetConnectionString("Owner")!, policies => policies.Add<Order>());
        builder.Services.AddHealthChecks().AddDapperTenantsHealthCheck();

        var app = builder.Build();
        app.UseDapperTenants();

        app.MapGet("/orders", (TenantConnection db) => db.QueryAsync<Order>("select * from orders order by id"));
        app.MapHealthChecks("/health").AllowWithoutTenant();
        var running = Task.Run(() =>
        {
            app.Run();
        });

        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            HttpResponseMessage? health = null;
            for (var attempt = 0; attempt < 100 && health is null; attempt++)
            {
                try
                {
                    health = await client.GetAsync("/health");
                }
                catch (HttpRequestException) when (!running.IsCompleted)
                {
                    await Task.Delay(100);
                }
            }

            if (health?.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"GET /health answered {health?.StatusCode.ToString() ?? "nothing"} (expected OK).");
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, "/orders");
            request.Headers.Add("X-Tenant", "acme");
            var acme = await (await client.SendAsync(request)).Content.ReadAsStringAsync();
            if (!acme.Contains("\"tenant\":\"acme\"", StringComparison.Ordinal) || acme.Contains("globex", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"GET /orders as acme answered {acme} (expected acme's row only).");
            }

            var anonymous = await client.GetAsync("/orders");
            if (anonymous.StatusCode != HttpStatusCode.NotFound)
            {
                throw new InvalidOperationException($"GET /orders without a tenant answered {anonymous.StatusCode} (expected NotFound).");
            }

            return $"acme's header read {acme}; no header: 404; /health: 200";
        }
        finally
        {
            await app.StopAsync();
            await running;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
