using System.Net;
using DapperTenants.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DapperTenants.AspNetCore.Tests.Health;

/// <summary>The health check in each of its states, against the real database.</summary>
[Category(Categories.Database)]
public sealed class HealthCheckTests
{
    private const string Unprivileged = "Tenant connections open as an unprivileged login, and the policies match the [Rls] types.";
    private const string Privileged = "The application's login is a superuser or has BYPASSRLS: Row-Level Security does not apply to it.";

    [Test]
    public async Task Healthy_when_the_login_is_unprivileged_and_the_policies_match()
    {
        await using var database = await ShopDatabase.CreateAsync("aspnet_health_ok");
        await using var app = await StartAsync(database.AppConnectionString, database.OwnerConnectionString);
        var entry = await CheckAsync(app);
        entry.Status.ShouldBe(HealthStatus.Healthy);
        entry.Description.ShouldBe(Unprivileged);
        (await app.GetAsync("/health")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Test]
    public async Task Healthy_without_a_drift_check_when_policies_are_not_applied_at_startup()
    {
        await using var database = await ShopDatabase.CreateAsync("aspnet_health_nodrift");
        await using var app = await StartAsync(database.AppConnectionString, owner: null);
        var entry = await CheckAsync(app);
        entry.Status.ShouldBe(HealthStatus.Healthy);
        entry.Description.ShouldBe("Tenant connections open as an unprivileged login.");
    }

    [Test]
    public async Task Probe_opens_whatever_the_tenant_length_limit()
    {
        await using var database = await ShopDatabase.CreateAsync("aspnet_health_short");
        await using var app = await TestApp.StartAsync(
            b =>
            {
                b.Services.AddDapperTenants(database.AppConnectionString, o => o.MaxTenantLength = 1).FromHeader("X-Tenant");
                b.Services.AddHealthChecks().AddDapperTenantsHealthCheck();
            },
            a => a.UseDapperTenants());
        (await CheckAsync(app)).Status.ShouldBe(HealthStatus.Healthy);
    }

    [Test]
    public async Task Degraded_on_installer_warnings()
    {
        await using var database = await ShopDatabase.CreateAsync("aspnet_health_warn", tenantIndex: false);
        await using var app = await StartAsync(database.AppConnectionString, database.OwnerConnectionString);
        var entry = await CheckAsync(app);
        entry.Status.ShouldBe(HealthStatus.Degraded);
        entry.Description!.ShouldStartWith("The policy installer has warnings: ");
        entry.Description.ShouldContain("index");
        (await app.GetAsync("/health")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Test]
    public async Task Unhealthy_when_a_table_drifted_from_its_policy()
    {
        await using var database = await ShopDatabase.CreateAsync("aspnet_health_drift");
        await using var app = await StartAsync(database.AppConnectionString, database.OwnerConnectionString);
        (await CheckAsync(app)).Status.ShouldBe(HealthStatus.Healthy);

        await database.Database.ExecuteAsOwnerAsync("alter table orders no force row level security");

        var entry = await CheckAsync(app);
        entry.Status.ShouldBe(HealthStatus.Unhealthy);
        entry.Description!.ShouldStartWith("The Row-Level Security policies have drifted from the [Rls] types (1 step(s), 0 error(s)): ");
        entry.Description.ShouldContain("orders");
        (await app.GetAsync("/health")).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
    }

    [Test]
    public async Task Unhealthy_when_the_login_is_a_superuser()
    {
        await using var database = await ShopDatabase.CreateAsync("aspnet_health_super");
        await using var app = await StartAsync(database.AdminConnectionString, owner: null);
        var entry = await CheckAsync(app);
        entry.Status.ShouldBe(HealthStatus.Unhealthy);
        entry.Description.ShouldBe(Privileged);
        entry.Exception.ShouldBeOfType<UnsafeRoleException>();
    }

    [Test]
    public async Task Unhealthy_when_the_login_gains_bypassrls_after_the_first_open()
    {
        await using var database = await ShopDatabase.CreateAsync("aspnet_health_bypass");
        await using var app = await StartAsync(database.AppConnectionString, owner: null);
        (await CheckAsync(app)).Status.ShouldBe(HealthStatus.Healthy);

        await database.Database.ExecuteAsAdminAsync($"""alter role "{database.Database.AppRole}" bypassrls""");
        Npgsql.NpgsqlConnection.ClearAllPools();

        var entry = await CheckAsync(app);
        entry.Status.ShouldBe(HealthStatus.Unhealthy);
        entry.Description.ShouldBe(Privileged);
    }

    [Test]
    public async Task Degraded_when_a_privileged_login_is_allowed_by_the_options()
    {
        await using var database = await ShopDatabase.CreateAsync("aspnet_health_allowed");
        await using var app = await StartAsync(database.AdminConnectionString, owner: null, allowPrivileged: true);
        var entry = await CheckAsync(app);
        entry.Status.ShouldBe(HealthStatus.Degraded);
        entry.Description.ShouldBe(
            "The application's login is a superuser or has BYPASSRLS, which TenantOptions.AllowPrivilegedRole allows: Row-Level Security does not apply to it.");
    }

    [Test]
    public async Task Unhealthy_when_the_database_cannot_be_reached()
    {
        await using var app = await StartAsync("Host=127.0.0.1;Port=1;Timeout=2;Username=nobody;Password=x", owner: null);
        var entry = await CheckAsync(app);
        entry.Status.ShouldBe(HealthStatus.Unhealthy);
        entry.Description!.ShouldStartWith("The database cannot be reached with the application's login: ");
        entry.Exception.ShouldBeAssignableTo<Npgsql.NpgsqlException>();
    }

    [Test]
    public async Task Failure_status_is_configurable()
    {
        await using var app = await TestApp.StartAsync(
            b =>
            {
                b.Services.AddDapperTenants("Host=127.0.0.1;Port=1;Timeout=2;Username=nobody;Password=x").FromHeader("X-Tenant");
                b.Services.AddHealthChecks().AddDapperTenantsHealthCheck(failureStatus: HealthStatus.Degraded, tags: ["db"]);
            },
            a => a.UseDapperTenants());
        var entry = await CheckAsync(app);
        entry.Status.ShouldBe(HealthStatus.Degraded);
        entry.Tags.ShouldBe(["db"]);
    }

    private static Task<TestApp> StartAsync(string app, string? owner, bool allowPrivileged = false) => TestApp.StartAsync(
        b =>
        {
            var tenants = b.Services.AddDapperTenants(app, o => o.AllowPrivilegedRole = allowPrivileged).FromHeader("X-Tenant");
            if (owner is not null)
            {
                tenants.ApplyPoliciesAtStartup(owner, policies => policies.Add<Order>());
            }

            b.Services.AddHealthChecks().AddDapperTenantsHealthCheck();
        },
        a =>
        {
            a.UseDapperTenants();
            a.MapHealthChecks("/health").AllowWithoutTenant();
        });

    private static async Task<HealthReportEntry> CheckAsync(TestApp app)
    {
        var report = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return report.Entries[DapperTenantsHealthChecksBuilderExtensions.DefaultName];
    }
}
