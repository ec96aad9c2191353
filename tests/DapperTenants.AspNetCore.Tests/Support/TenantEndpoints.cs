using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DapperTenants.AspNetCore.Tests.Support;

/// <summary>An app whose endpoints report the tenant they ran under, as the connection, the scope and the rows see it.</summary>
public static class TenantEndpoints
{
    /// <summary>Starts an app with the strategies <paramref name="tenants"/> configures.</summary>
    public static Task<TestApp> StartAsync(ShopDatabase database, Action<DapperTenantsBuilder> tenants, bool authentication = false,
        Action<WebApplication>? beforeTenants = null)
    {
        return TestApp.StartAsync(
            builder =>
            {
                tenants(builder.Services.AddDapperTenants(database.AppConnectionString));
                if (authentication)
                {
                    builder.Services.AddAuthentication(TestUserHandler.SchemeName)
                        .AddScheme<AuthenticationSchemeOptions, TestUserHandler>(TestUserHandler.SchemeName, null);
                }
            },
            app =>
            {
                beforeTenants?.Invoke(app);
                app.UseDapperTenants();
                app.MapGet("/tenants", Report);
                app.MapGet("/t/{tenant}/tenants", Report);
                app.MapGet("/open", () => TenantScope.Current ?? "(none)").AllowWithoutTenant();
                app.MapGet("/open-with-connection", (TenantConnection db) => db.Tenant).AllowWithoutTenant();
            });
    }

    /// <summary><c>connection tenant | TenantScope.Current | distinct tenants of the rows the connection sees</c>.</summary>
    public static async Task<string> Report(TenantConnection db)
    {
        var rows = await db.QueryAsync<string>("select distinct tenant from orders order by 1");
        return $"{db.Tenant}|{TenantScope.Current}|{string.Join(",", rows)}";
    }

    /// <summary>The ProblemDetails body of a response, after checking its content type.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }
}
