using DapperTenants.Tests.Support;
using Microsoft.Extensions.Logging;

namespace DapperTenants.Tests.Telemetry;

/// <summary>What opening connections logs through <see cref="TenantOptions.LoggerFactory"/>, with stable event ids.</summary>
[Category(Categories.Database)]
[NonParallelizable]
public sealed class OpenLoggingTests
{
    private OrdersDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await OrdersDatabase.CreateAsync("telemetry_logs");

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    [Test]
    public async Task First_open_and_each_refresh_log_the_catalog_read()
    {
        var logs = new CapturingLoggerFactory();
        await using var tenants = _db.CreateTenants(options: o => o.LoggerFactory = logs);

        await (await tenants.OpenAsync(OrdersDatabase.Acme)).DisposeAsync();
        await (await tenants.OpenAsync(OrdersDatabase.Acme)).DisposeAsync();
        tenants.RefreshCatalog();
        tenants.Open(OrdersDatabase.Acme).Dispose();

        logs.Events.Select(e => (e.Category, e.Level, e.Id.Id, e.Message)).ShouldBe(
        [
            ("DapperTenants.Connection", LogLevel.Information, 1004, $"Read the catalog for login '{_db.Database.AppRole}': 1 protected table(s)."),
            ("DapperTenants.Connection", LogLevel.Information, 1005, "Catalog refresh requested: the next open reads the login's attributes and the protected tables again."),
            ("DapperTenants.Connection", LogLevel.Information, 1004, $"Read the catalog for login '{_db.Database.AppRole}': 1 protected table(s)."),
        ]);
    }

    [Test]
    public async Task Privileged_login_refusal_is_logged_as_an_error_with_the_exception()
    {
        var logs = new CapturingLoggerFactory();
        await using var tenants = TenantDataSource.Create(_db.Database.AdminConnectionString, o => o.LoggerFactory = logs);

        var error = Should.Throw<UnsafeRoleException>(() => tenants.Open(OrdersDatabase.Acme));

        var log = logs.Events.Single();
        (log.Level, log.Id.Id, log.Id.Name).ShouldBe((LogLevel.Error, 1002, "PrivilegedLoginRefused"));
        log.Message.ShouldBe("Refused to open a tenant connection: the data source's login is privileged, so Row-Level Security would not apply to it.");
        log.Exception.ShouldBeSameAs(error);
    }

    [Test]
    public async Task Allowed_privileged_login_is_logged_as_a_warning()
    {
        var logs = new CapturingLoggerFactory();
        await using var tenants = TenantDataSource.Create(_db.Database.AdminConnectionString, o =>
        {
            o.LoggerFactory = logs;
            o.AllowPrivilegedRole = true;
        });

        await (await tenants.OpenAsync(OrdersDatabase.Acme)).DisposeAsync();

        var warning = logs.Events.Single(e => e.Level == LogLevel.Warning);
        warning.Id.Id.ShouldBe(1003);
        warning.Message.ShouldEndWith(
            "which is a superuser; TenantOptions.AllowPrivilegedRole lets it open tenant connections, and Row-Level Security does not apply to them.");
    }

    [Test]
    public async Task Nothing_is_logged_or_required_without_a_logger_factory()
    {
        await using var tenants = _db.CreateTenants();
        tenants.Options.LoggerFactory.ShouldBeNull();
        await (await tenants.OpenAsync(OrdersDatabase.Acme)).DisposeAsync();
    }
}
