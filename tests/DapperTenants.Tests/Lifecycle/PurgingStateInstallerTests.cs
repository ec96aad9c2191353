using DapperTenants.Tests.Registry;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Lifecycle;

/// <summary>The registry of an earlier version, whose check admits no 'purging': the installer replaces the check, once.</summary>
[Category(Categories.Database)]
public class PurgingStateInstallerTests
{
    [Test]
    public async Task The_installer_replaces_an_older_registrys_state_check_so_a_purge_can_start()
    {
        await using var db = await RegistryDatabase.CreateAsync("registry_purging_check");
        await db.Orders.Database.ExecuteAsOwnerAsync("""
            alter table dapper_tenants.tenants drop constraint tenants_state_check,
                add constraint tenants_state_check check (state in ('active', 'disabled', 'purged'));
            """);
        await db.Registry.DisableAsync(OrdersDatabase.Globex, "leaving");
        var plan = await db.Registry.PlanPurgeAsync(OrdersDatabase.Globex);
        var old = await Should.ThrowAsync<Npgsql.PostgresException>(() => db.Registry.PurgeAsync(plan));
        old.SqlState.ShouldBe(Npgsql.PostgresErrorCodes.CheckViolation, "the control: the old check refuses 'purging'");

        var installer = new PolicyInstaller(db.Owner).UseTenantRegistry().GrantTo(db.AppRole);
        var migration = await installer.PlanAsync();
        migration.Steps.Select(s => s.Reason).ShouldBe(["the tenant registry's check of the states lacks 'purging' (a registry older than TenantRegistry.PurgeAsync)"]);
        migration.Steps[0].Statements.ShouldBe([
            "ALTER TABLE \"dapper_tenants\".\"tenants\" DROP CONSTRAINT IF EXISTS tenants_state_check, ADD CONSTRAINT tenants_state_check "
            + "CHECK ((state = ANY (ARRAY['active'::text, 'disabled'::text, 'purged'::text, 'purging'::text])));"]);
        await installer.ApplyAsync();
        (await installer.PlanAsync()).IsEmpty.ShouldBeTrue("the new check is the model's");

        (await db.Registry.PurgeAsync(plan)).RowsDeleted.ShouldBe(3);
        (await db.Orders.AllOrdersAsync()).Select(o => o.Tenant).Distinct().Order(StringComparer.Ordinal).ShouldBe([OrdersDatabase.Acme, OrdersDatabase.Initech]);
    }
}
