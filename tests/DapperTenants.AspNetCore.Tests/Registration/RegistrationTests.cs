using System.Net;
using System.Reflection;
using System.Runtime.CompilerServices;
using DapperTenants.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DapperTenants.AspNetCore.Tests.Registration;

/// <summary>How the integration is registered: with a connection string, over Npgsql's DI data source (keyed too), and its misuse.</summary>
public sealed class RegistrationTests
{
    [Test]
    [Category(Categories.Database)]
    public async Task Npgsql_data_source_from_the_container_serves_tenant_connections()
    {
        await using var database = await ShopDatabase.CreateAsync("aspnet_di");
        await using var app = await TestApp.StartAsync(
            b =>
            {
                b.Services.AddNpgsqlDataSource(database.AppConnectionString);
                b.Services.AddDapperTenants().FromHeader("X-Tenant");
            },
            Endpoints);
        (await (await app.GetAsync("/tenants", ("X-Tenant", "globex"))).Content.ReadAsStringAsync()).ShouldBe("globex|globex|globex");
    }

    [Test]
    [Category(Categories.Database)]
    public async Task Keyed_npgsql_data_sources_serve_tenants_and_the_startup_installer()
    {
        await using var database = await ShopDatabase.CreateAsync("aspnet_keyed", installPolicies: false);
        await using var app = await TestApp.StartAsync(
            b =>
            {
                b.Services.AddNpgsqlDataSource(database.AppConnectionString, serviceKey: "app");
                b.Services.AddNpgsqlDataSource(database.OwnerConnectionString, serviceKey: "owner");
                b.Services.AddDapperTenants(dataSourceKey: "app").FromHeader("X-Tenant")
                    .ApplyPoliciesAtStartup(sp => sp.GetRequiredKeyedService<NpgsqlDataSource>("owner"), p => p.Add<Order>());
            },
            Endpoints);
        (await database.RlsStateAsync()).ShouldBe((true, true, 1L));
        (await (await app.GetAsync("/tenants", ("X-Tenant", "initech"))).Content.ReadAsStringAsync()).ShouldBe("initech|initech|initech");
    }

    [Test]
    [Category(Categories.Unit)]
    public async Task Missing_npgsql_data_source_names_the_fix()
    {
        var services = new ServiceCollection();
        services.AddDapperTenants(dataSourceKey: "nope").FromHeader("X-Tenant");
        await using var provider = services.BuildServiceProvider();
        Should.Throw<InvalidOperationException>(() => provider.GetRequiredService<TenantDataSource>()).Message.ShouldBe(
            "AddDapperTenants() found no NpgsqlDataSource with the key 'nope' in the container. Register one with services.AddNpgsqlDataSource(connectionString) "
            + "(package Npgsql.DependencyInjection), or call AddDapperTenants(connectionString).");
    }

    [Test]
    [Category(Categories.Unit)]
    public void Adding_twice_is_refused()
    {
        var services = new ServiceCollection();
        services.AddDapperTenants("Host=localhost");
        Should.Throw<InvalidOperationException>(() => services.AddDapperTenants("Host=localhost")).Message.ShouldBe(
            "AddDapperTenants was already called on this service collection. Call it once and configure the returned builder.");
    }

    [Test]
    [Category(Categories.Unit)]
    public async Task Pipeline_without_a_strategy_is_refused_when_built()
    {
        var error = await Should.ThrowAsync<InvalidOperationException>(() => TestApp.StartAsync(
            b => b.Services.AddDapperTenants("Host=localhost"),
            a => a.UseDapperTenants()));
        error.Message.ShouldBe(
            "AddDapperTenants(...) names no way to find the tenant of a request. Add FromHeader, FromClaim, FromHost, FromRoute or From to the builder it returns.");
    }

    [Test]
    [Category(Categories.Unit)]
    public async Task Pipeline_without_the_services_is_refused_when_built()
    {
        var error = await Should.ThrowAsync<InvalidOperationException>(() => TestApp.StartAsync(_ => { }, a => a.UseDapperTenants()));
        error.Message.ShouldBe("UseDapperTenants() needs builder.Services.AddDapperTenants(...) first.");
    }

    [Test]
    [Category(Categories.Unit)]
    public void Connection_string_data_source_is_one_singleton_owned_by_the_container()
    {
        var services = new ServiceCollection();
        services.AddDapperTenants("Host=localhost", o => o.SettingName = "app.tenant").FromHeader("X-Tenant");
        TenantDataSource first;
        using (var provider = services.BuildServiceProvider())
        {
            first = provider.GetRequiredService<TenantDataSource>();
            provider.GetRequiredService<TenantDataSource>().ShouldBeSameAs(first);
            first.Options.SettingName.ShouldBe("app.tenant");
        }

        Should.Throw<ObjectDisposedException>(() => first.Open("acme"));
    }

    [Test]
    [Category(Categories.Unit)]
    public void Core_grants_the_integration_no_access_to_its_internals()
    {
        var core = typeof(TenantDataSource).Assembly;
        core.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName)
            .ShouldNotContain(name => name.StartsWith("DapperTenants.AspNetCore", StringComparison.Ordinal) && !name.EndsWith(".Tests", StringComparison.Ordinal));
        typeof(DapperTenantsBuilder).Assembly.GetReferencedAssemblies().Select(a => a.Name).ShouldContain(core.GetName().Name);
        core.GetReferencedAssemblies().Select(a => a.Name).ShouldNotContain(typeof(DapperTenantsBuilder).Assembly.GetName().Name);
        core.GetReferencedAssemblies().Select(a => a.Name).ShouldNotContain(n => n!.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    [Test]
    [Category(Categories.Unit)]
    public void The_integration_uses_only_the_cores_public_types()
    {
        var core = typeof(TenantDataSource).Assembly;
        typeof(DapperTenantsBuilder).Assembly.GetTypes().Where(t => !t.IsNested)
            .SelectMany(t => DapperTenants.Tests.Architecture.TypeReferences.Of(t))
            .Where(r => r.Referenced.Assembly == core && !r.Referenced.IsVisible)
            .Select(r => $"{r.Where} -> {r.Referenced.FullName}")
            .ShouldBeEmpty("DapperTenants.AspNetCore is built on the core's public API only (ARCHITECTURE.md)");
        typeof(DapperTenantsBuilder).Assembly.GetTypes().Where(t => !t.IsNested)
            .SelectMany(t => DapperTenants.Tests.Architecture.TypeReferences.Of(t))
            .ShouldContain(r => r.Referenced == typeof(TenantDataSource), "the control: the reader sees the integration's use of the core");
    }

    private static void Endpoints(WebApplication app)
    {
        app.UseDapperTenants();
        app.MapGet("/tenants", TenantEndpoints.Report);
    }
}
