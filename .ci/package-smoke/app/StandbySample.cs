using Dapper;
using DapperTenants;
using DapperTenants.Testing;

namespace PackageSmoke;

/// <summary>The standby sample of DapperTenants.Testing's package README, line for line, then a check of what it read.</summary>
internal static class StandbySample
{
    public static async Task<string> RunAsync()
    {
        await using var primary = await PostgresServer.StartLocalClusterAsync();
        await using var standby = await PostgresStandby.StartAsync(primary);              // pg_basebackup -R (or a file copy), second port
        await using var database = await primary.CreateDatabaseAsync("orders");
        // ... tables and policies on the primary ...
        await database.ExecuteAsOwnerAsync("create table orders (id int primary key, tenant text not null, total numeric not null)");
        await using (var owner = database.CreateOwnerDataSource())
        {
            await new PolicyInstaller(owner).Add<Order>().ApplyAsync();
        }

        await database.ExecuteAsAdminAsync("insert into orders values (1, 'acme', 10), (2, 'globex', 20)");
        await standby.WaitForReplayAsync();                                               // until the standby has it all
        await using var tenants = TenantDataSource.Create(standby.MultiHost(database.AppConnectionString));
        await using var replica = await tenants.OpenReadOnlyAsync("acme");               // on the standby

        var rows = (await replica.QueryAsync<(bool OnStandby, int Id, string Tenant)>("select pg_is_in_recovery(), id, tenant from orders")).ToList();
        if (rows.Count != 1 || rows[0] != (true, 1, "acme"))
        {
            throw new InvalidOperationException(
                $"The standby sample read [{string.Join(", ", rows)}] (expected [(True, 1, acme)]: acme's row, read on the standby).");
        }

        return standby.Description;
    }
}
