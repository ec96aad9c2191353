using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace DapperTenants.AspNetCore.Tests.Support;

/// <summary>The README's sample app (tests/DapperTenants.Web.Sample) against a test database.</summary>
public sealed class SampleFactory(string appConnectionString, string ownerConnectionString, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("ConnectionStrings:App", appConnectionString);
        builder.UseSetting("ConnectionStrings:Owner", ownerConnectionString);
        if (services is not null)
        {
            builder.ConfigureServices(services);
        }
    }
}
