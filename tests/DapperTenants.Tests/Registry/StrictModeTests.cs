using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Registry;

/// <summary>
/// <see cref="TenantOptions.RequireRegisteredTenant"/>: only tenants active in the registry open, decided from the data
/// source's copy of the registry, which an open reads again once it is older than the refresh interval.
/// </summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync)]
[TestFixture(SyncOrAsync.Async)]
public class StrictModeTests(SyncOrAsync mode)
{
    private RegistryDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await RegistryDatabase.CreateAsync("strict_" + mode.ToString().ToLowerInvariant());

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    private async Task<TenantConnection> OpenAsync(TenantDataSource tenants, string tenant) =>
        mode == SyncOrAsync.Sync ? tenants.Open(tenant) : await tenants.OpenAsync(tenant);

    private async Task<TenantNotFoundException> RefusedAsync(TenantDataSource tenants, string tenant) =>
        mode == SyncOrAsync.Sync
            ? Should.Throw<TenantNotFoundException>(() => tenants.Open(tenant))
            : await Should.ThrowAsync<TenantNotFoundException>(async () => await tenants.OpenAsync(tenant));

    private static string Unknown(string tenant) =>
        $"Tenant '{tenant}' is not registered, and TenantOptions.RequireRegisteredTenant is on: no connection was opened for it. "
        + $"Register it as the tables' owner with TenantRegistry.CreateAsync(\"{tenant}\"), or check the value: tenants are compared exactly, "
        + "so case, whitespace and Unicode normalization matter.";

    [Test]
    public async Task A_registered_tenant_opens_and_reads_its_own_rows()
    {
        await using var tenants = _db.Strict(new ManualClock());
        await using var acme = await OpenAsync(tenants, OrdersDatabase.Acme);
        (await acme.QueryAsync<int>("select id from orders order by id")).ShouldBe([1, 2, 3, 4, 5]);
    }

    [Test]
    public async Task An_unregistered_tenant_is_refused_by_name_with_the_fix()
    {
        await using var tenants = _db.Strict(new ManualClock());
        var refused = await RefusedAsync(tenants, OrdersDatabase.Initech);
        refused.Message.ShouldBe(Unknown(OrdersDatabase.Initech));
        refused.Tenant.ShouldBe(OrdersDatabase.Initech);
        refused.State.ShouldBeNull();
        refused.ShouldBeAssignableTo<TenantIsolationException>();
    }

    [Test]
    public async Task Without_strict_mode_an_unregistered_tenant_opens_as_before()
    {
        await using var tenants = _db.Orders.CreateTenants();
        await using var initech = await OpenAsync(tenants, OrdersDatabase.Initech);
        (await initech.QueryAsync<int>("select id from orders order by id")).ShouldBe([201, 202], "the control: strict mode is what refuses it");
    }

    [TestCase("ACME", TestName = "A_tenant_differing_in_case_from_a_registered_one_is_refused")]
    [TestCase("acme ", TestName = "A_tenant_with_a_trailing_space_is_refused")]
    [TestCase(" acme", TestName = "A_tenant_with_a_leading_space_is_refused")]
    [TestCase("\u0430cme", TestName = "A_Cyrillic_look_alike_of_a_registered_tenant_is_refused")]
    [TestCase("acme\u200B", TestName = "A_tenant_with_a_zero_width_space_is_refused")]
    public async Task A_look_alike_of_a_registered_tenant_is_refused(string lookAlike)
    {
        await using var tenants = _db.Strict(new ManualClock());
        (await RefusedAsync(tenants, lookAlike)).Message.ShouldBe(Unknown(lookAlike));
    }

    [Test]
    public async Task Another_Unicode_normalization_of_a_registered_tenant_is_another_tenant()
    {
        var composed = "caf\u00E9_" + mode;
        var decomposed = "cafe\u0301_" + mode;
        decomposed.Normalize().ShouldBe(composed, "the control: the two are canonically equivalent");
        await _db.Registry.CreateAsync(composed);
        await using var tenants = _db.Strict(new ManualClock());
        await using (await OpenAsync(tenants, composed))
        {
        }

        (await RefusedAsync(tenants, decomposed)).Message.ShouldBe(Unknown(decomposed));
    }

    [Test]
    public async Task A_tenant_created_after_the_copy_was_read_opens_at_once_with_one_lookup()
    {
        var clock = new ManualClock();
        await using var tenants = _db.Strict(clock);
        await using (await OpenAsync(tenants, OrdersDatabase.Acme))
        {
        }

        var tenant = "fresh_" + mode;
        await _db.Registry.CreateAsync(tenant);
        await using (await OpenAsync(tenants, tenant))
        {
        }

        await using (await OpenAsync(tenants, tenant))
        {
        }

        tenants.Registry!.Refreshes.ShouldBe(1, "no refresh: the clock did not move");
        tenants.Registry.Lookups.ShouldBe(1, "one lookup of the new tenant, then it is in the copy");
    }

    [Test]
    public async Task A_disabled_tenant_stops_opening_once_the_refresh_interval_has_passed()
    {
        var tenant = "to_disable_" + mode;
        await _db.Registry.CreateAsync(tenant);
        var clock = new ManualClock();
        await using var tenants = _db.Strict(clock);
        await using (await OpenAsync(tenants, tenant))
        {
        }

        await _db.Registry.DisableAsync(tenant, "unpaid invoice");
        clock.Advance(TimeSpan.FromSeconds(4.9));
        await using (await OpenAsync(tenants, tenant))
        {
            // Within the interval the copy still holds it as active: the documented bound.
        }

        clock.Advance(TimeSpan.FromSeconds(0.1));
        var refused = await RefusedAsync(tenants, tenant);
        refused.Message.ShouldBe(
            $"Tenant '{tenant}' is disabled in the tenant registry, and TenantOptions.RequireRegisteredTenant is on: no connection was opened for it. "
            + $"Enable it as the tables' owner with TenantRegistry.EnableAsync(\"{tenant}\"); data sources see the change within "
            + "TenantOptions.RegistryRefreshInterval (5 s).");
        refused.State.ShouldBe(TenantState.Disabled);
        refused.Message.ShouldNotContain("unpaid", Case.Insensitive, "the operator's reason is not shown to the tenant's connections");

        await _db.Registry.EnableAsync(tenant);
        clock.Advance(TimeSpan.FromSeconds(5));
        await using (await OpenAsync(tenants, tenant))
        {
        }
    }

    [Test]
    public async Task A_connection_opened_before_its_tenant_was_disabled_finishes_its_lease()
    {
        var tenant = "lease_" + mode;
        await _db.Registry.CreateAsync(tenant);
        var clock = new ManualClock();
        await using var tenants = _db.Strict(clock);
        await using var open = await OpenAsync(tenants, tenant);
        await _db.Registry.DisableAsync(tenant, "closing the account");
        clock.Advance(TimeSpan.FromSeconds(5));
        (await RefusedAsync(tenants, tenant)).State.ShouldBe(TenantState.Disabled);
        (await open.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(0, "the open lease keeps working until it is disposed");
    }

    [Test]
    public async Task A_purged_tenant_is_refused_as_purged()
    {
        var tenant = "purged_" + mode;
        await _db.Orders.Database.ExecuteAsOwnerAsync($"insert into dapper_tenants.tenants (id, state) values ('{tenant}', 'purged')");
        await using var tenants = _db.Strict(new ManualClock());
        var refused = await RefusedAsync(tenants, tenant);
        refused.Message.ShouldBe(
            $"Tenant '{tenant}' is purged in the tenant registry: its data was deleted, so no connection was opened for it, and its identifier "
            + "is not reused. Use another tenant value.");
        refused.State.ShouldBe(TenantState.Purged);
    }

    [Test]
    public async Task Lookups_of_unknown_tenants_are_limited_per_second()
    {
        var clock = new ManualClock();
        await using var tenants = _db.Strict(clock);
        for (var i = 0; i < 30; i++)
        {
            await RefusedAsync(tenants, $"made_up_{i}");
        }

        tenants.Registry!.Lookups.ShouldBe(20);
        clock.Advance(TimeSpan.FromSeconds(1));
        await RefusedAsync(tenants, "made_up_next_second");
        tenants.Registry.Lookups.ShouldBe(21, "a new second, a new budget");
        tenants.Registry.Refreshes.ShouldBe(1);
    }

    [Test]
    public async Task A_data_source_without_the_registry_says_how_to_install_it()
    {
        await using var bare = await OrdersDatabase.CreateAsync("strict_bare");
        await using var tenants = bare.CreateTenants(options: o => o.RequireRegisteredTenant = true);
        var error = mode == SyncOrAsync.Sync
            ? Should.Throw<TenantIsolationException>(() => tenants.Open(OrdersDatabase.Acme))
            : await Should.ThrowAsync<TenantIsolationException>(async () => await tenants.OpenAsync(OrdersDatabase.Acme));
        error.Message.ShouldBe(
            $"TenantOptions.RequireRegisteredTenant is on, but the login '{bare.Database.AppRole}' cannot read the tenant registry "
            + "\"dapper_tenants\".\"tenants\" (42P01: relation \"dapper_tenants.tenants\" does not exist). Install it as the tables' owner with "
            + $"PolicyInstaller.UseTenantRegistry() and GrantTo(\"{bare.Database.AppRole}\").");
        error.InnerException.ShouldBeOfType<PostgresException>().SqlState.ShouldBe(PostgresErrorCodes.UndefinedTable);
    }
}
