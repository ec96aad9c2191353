using DapperTenants.Testing;
using DapperTenants.Tests.Signed;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Registry;

/// <summary>Strict mode's cost in round trips, CreateIfMissing, the signed context, and the options.</summary>
[Category(Categories.Database)]
public class StrictModeSetupTests
{
    [Test]
    public async Task An_open_with_a_fresh_copy_costs_no_round_trip_and_a_refresh_costs_one()
    {
        await using var db = await RegistryDatabase.CreateAsync("strict_roundtrips");
        var server = db.Orders.Database.Server;
        await using var proxy = new RoundTripCounter(server.Host, server.Port);
        void Proxied(NpgsqlConnectionStringBuilder b)
        {
            b.Host = "127.0.0.1";
            b.Port = proxy.Port;
            b.SslMode = SslMode.Disable;
        }

        async Task<long> CountAsync(TenantDataSource tenants, string tenant)
        {
            proxy.Reset();
            await using (var connection = await tenants.OpenAsync(tenant))
            {
                await connection.QueryAsync<int>("select id from orders");
            }

            return proxy.RoundTrips;
        }

        var clock = new ManualClock();
        await using var plain = db.Orders.CreateTenants(Proxied);
        await using var strict = db.Strict(clock, connection: Proxied);
        await CountAsync(plain, OrdersDatabase.Acme);
        await CountAsync(strict, OrdersDatabase.Acme);
        var baseline = await CountAsync(plain, OrdersDatabase.Acme);
        baseline.ShouldBeGreaterThan(0, "the control: the proxy counts");
        (await CountAsync(strict, OrdersDatabase.Acme)).ShouldBe(baseline, "a fresh copy decides in memory");
        (await CountAsync(strict, OrdersDatabase.Globex)).ShouldBe(baseline);
        clock.Advance(TimeSpan.FromSeconds(5));
        (await CountAsync(strict, OrdersDatabase.Acme)).ShouldBe(baseline + 1, "the open that finds the copy stale reads the registry once");
        (await CountAsync(strict, OrdersDatabase.Acme)).ShouldBe(baseline);

        proxy.Reset();
        await Should.ThrowAsync<TenantNotFoundException>(async () => await strict.OpenAsync("x" + OrdersDatabase.Acme));
        var unknown = proxy.RoundTrips;
        unknown.ShouldBeInRange(1, baseline, "an unknown tenant costs one lookup (with the pool's reset), and nothing else is sent");
        proxy.Reset();
        clock.Advance(TimeSpan.FromSeconds(1));
        db.Registry.Disable(OrdersDatabase.Globex, "test");
        clock.Advance(TimeSpan.FromSeconds(5));
        await Should.ThrowAsync<TenantNotFoundException>(async () => await strict.OpenAsync(OrdersDatabase.Globex));
        proxy.RoundTrips.ShouldBe(unknown, "the refresh that finds it disabled; nothing runs under it");
        await TestContext.Progress.WriteLineAsync(
            $"strict mode round trips (as the proxy counts them): open + query {baseline} as without it, {baseline + 1} for the open that refreshes the copy, {unknown} for a refused unknown or disabled tenant");
    }

    [Test]
    public async Task CreateIfMissing_registers_an_unknown_tenant_on_open_but_never_revives_a_disabled_one()
    {
        await using var db = await RegistryDatabase.CreateAsync("strict_create", TenantRegistryAccess.CreateIfMissing);
        await using var tenants = db.Strict(new ManualClock(), o => o.CreateIfMissing = true);
        await using (var initech = await tenants.OpenAsync(OrdersDatabase.Initech))
        {
            (await initech.QueryAsync<int>("select id from orders order by id")).ShouldBe([201, 202]);
        }

        (await db.Registry.FindAsync(OrdersDatabase.Initech))!.State.ShouldBe(TenantState.Active);
        using (tenants.Open("hooli"))
        {
        }

        (await db.Registry.ExistsAsync("hooli")).ShouldBeTrue("the sync open registers too");

        await db.Registry.DisableAsync(OrdersDatabase.Globex, "suspended");
        await using var fresh = db.Strict(new ManualClock(), o => o.CreateIfMissing = true);
        (await Should.ThrowAsync<TenantNotFoundException>(async () => await fresh.OpenAsync(OrdersDatabase.Globex))).State.ShouldBe(TenantState.Disabled);
    }

    [Test]
    public async Task CreateIfMissing_without_the_installed_function_says_how_to_install_it()
    {
        await using var db = await RegistryDatabase.CreateAsync("strict_nocreate");
        await using var tenants = db.Strict(new ManualClock(), o => o.CreateIfMissing = true);
        var error = await Should.ThrowAsync<TenantIsolationException>(async () => await tenants.OpenAsync(OrdersDatabase.Initech));
        error.Message.ShouldBe(
            $"TenantOptions.CreateIfMissing is on, but the login '{db.AppRole}' cannot execute \"dapper_tenants\".\"create_missing_tenant\"(text) "
            + "(42883: function dapper_tenants.create_missing_tenant(text) does not exist). Install it as the tables' owner with "
            + $"PolicyInstaller.UseTenantRegistry(TenantRegistryAccess.CreateIfMissing) and GrantTo(\"{db.AppRole}\"), or turn CreateIfMissing off.");
        (await db.Registry.ExistsAsync(OrdersDatabase.Initech)).ShouldBeFalse("the app login could not register it");
    }

    [Test]
    public async Task Strict_mode_opens_with_the_signed_context()
    {
        await using var db = await SignedDatabase.CreateAsync("strict_signed");
        await db.Installer().UseSignedContext(SignedDatabase.Key).UseTenantRegistry().ApplyAsync();
        await new TenantRegistry(db.Owner).CreateAsync(SignedDatabase.Acme);
        await using var tenants = db.Database.CreateTenantDataSource(configureOptions: o =>
        {
            o.SigningKey = SignedDatabase.Key;
            o.RequireRegisteredTenant = true;
        });
        await using (var acme = await tenants.OpenAsync(SignedDatabase.Acme))
        {
            (await acme.QueryAsync<int>("select id from signed_orders order by id")).ShouldBe([1, 2, 3]);
            (await acme.ExecuteScalarAsync<string>("select current_setting('dapper_tenants.tenant')")).ShouldStartWith("v1.", Case.Sensitive, "the context is signed");
        }

        using (var sync = tenants.Open(SignedDatabase.Acme))
        {
            sync.Query<int>("select id from signed_orders order by id").ShouldBe([1, 2, 3]);
        }

        (await Should.ThrowAsync<TenantNotFoundException>(async () => await tenants.OpenAsync(SignedDatabase.Globex))).State.ShouldBeNull();
    }

    [TestCase(-1, false, "TenantOptions.RegistryRefreshInterval is -00:00:01; it must be between 0 and 1 hour.")]
    [TestCase(3601, false, "TenantOptions.RegistryRefreshInterval is 01:00:01; it must be between 0 and 1 hour.")]
    [TestCase(5, true, "TenantOptions.CreateIfMissing is set without TenantOptions.RequireRegisteredTenant: registering tenants on open is part of the "
        + "registered-tenant check. Set RequireRegisteredTenant = true as well, or leave CreateIfMissing off.")]
    [Category(Categories.Unit)]
    public void Options_that_cannot_work_are_refused_when_the_data_source_is_created(int seconds, bool createIfMissing, string message)
    {
        var error = Should.Throw<ArgumentException>(() => TenantDataSource.Create("Host=localhost", o =>
        {
            o.RegistryRefreshInterval = TimeSpan.FromSeconds(seconds);
            o.CreateIfMissing = createIfMissing;
        }));
        error.Message.ShouldBe(message + " (Parameter 'configure')");
    }

    [Test]
    [Category(Categories.Unit)]
    public void The_defaults_are_off_with_a_five_second_bound()
    {
        var options = new TenantOptions();
        options.RequireRegisteredTenant.ShouldBeFalse();
        options.CreateIfMissing.ShouldBeFalse();
        options.RegistryRefreshInterval.ShouldBe(TimeSpan.FromSeconds(5));
    }
}
