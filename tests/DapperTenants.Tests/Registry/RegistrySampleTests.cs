using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Registry;

/// <summary>The tenant registry sample of docs/installer.md, run against the orders database.</summary>
[Category(Categories.Database)]
public class RegistrySampleTests
{
    [Test]
    public async Task The_documented_registry_sample_admits_acme_only()
    {
        await using var db = await OrdersDatabase.CreateAsync("registry_sample");
        var refused = await TenantRegistrySampleAsync(db.Owner, db.Database.AppRole, db.Database.AppConnectionString);
        refused.Message.ShouldStartWith("Tenant 'globex' is disabled in the tenant registry");
    }

    private static async Task<TenantNotFoundException> TenantRegistrySampleAsync(NpgsqlDataSource owner, string appLogin, string appConnectionString)
    {
        // README sample tenant-registry: TenantRegistrySampleAsync
        // As the owner, at startup or in a migration (with your Add<T>() calls): the registry, read-only for the app login.
        await new PolicyInstaller(owner).UseTenantRegistry().GrantTo(appLogin).ApplyAsync();

        // As the owner, from an admin tool or a sign-up flow:
        var registry = new TenantRegistry(owner);
        await registry.CreateAsync("acme");
        await registry.CreateAsync("globex");
        await registry.DisableAsync("globex", "contract ended");   // data kept; new opens refused within 5 s

        // The application: only active, registered tenants open.
        await using var tenants = TenantDataSource.Create(appConnectionString, o => o.RequireRegisteredTenant = true);
        await using var acme = await tenants.OpenAsync("acme");
        // README sample end
        (await acme.QueryAsync<int>("select id from orders order by id")).ShouldBe([1, 2, 3, 4, 5]);
        (await Should.ThrowAsync<TenantNotFoundException>(async () => await tenants.OpenAsync("initech"))).State.ShouldBeNull();
        return await Should.ThrowAsync<TenantNotFoundException>(async () => await tenants.OpenAsync("globex"));
    }
}
