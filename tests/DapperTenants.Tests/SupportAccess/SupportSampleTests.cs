using DapperTenants.Tests.Support;
using Npgsql;
using Order = DapperTenants.Tests.SupportAccess.SupportOrder;

namespace DapperTenants.Tests.SupportAccess;

/// <summary>The support access sample of docs/support-access.md, run against the orders database.</summary>
[Category(Categories.Database)]
public class SupportSampleTests
{
    [Test]
    public async Task The_documented_support_sample_reads_acme_and_logs_the_session()
    {
        await using var orders = await OrdersDatabase.CreateAsync("support_sample");
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var (role, login) = ("dt_support_" + suffix, "dt_operator_" + suffix);
        await orders.Database.ExecuteAsAdminAsync($"""
            CREATE ROLE "{role}" NOLOGIN NOSUPERUSER NOBYPASSRLS;
            CREATE ROLE "{login}" LOGIN PASSWORD '{orders.Database.Password}' NOSUPERUSER NOBYPASSRLS IN ROLE "{role}";
            GRANT CONNECT ON DATABASE "{orders.Database.Name}" TO "{role}";
            """);
        try
        {
            var operatorConnectionString = new NpgsqlConnectionStringBuilder(orders.Database.AppConnectionString) { Username = login }.ConnectionString;
            var entries = await SupportAccessSampleAsync(orders.Owner, orders.Database.AppRole, role, operatorConnectionString);
            entries.Select(e => (e.Actor, e.Reason, e.Login)).ShouldBe([("alice@example.com", "ticket 4711: missing invoice", login)]);
        }
        finally
        {
            await orders.Database.ExecuteAsOwnerAsync("DROP SCHEMA dapper_tenants CASCADE; DROP POLICY IF EXISTS dapper_tenants_support ON orders; "
                + "DROP POLICY IF EXISTS dapper_tenants_support_scope ON orders; DROP POLICY IF EXISTS dapper_tenants_support_delete ON orders;");
            await orders.Database.ExecuteAsAdminAsync($"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM \"{role}\"; REVOKE ALL ON SCHEMA public FROM \"{role}\"; "
                + $"REVOKE CONNECT ON DATABASE \"{orders.Database.Name}\" FROM \"{role}\"; DROP ROLE \"{login}\"; DROP ROLE \"{role}\";");
        }
    }

    private static async Task<IReadOnlyList<SupportAccessEntry>> SupportAccessSampleAsync(
        NpgsqlDataSource owner, string appLogin, string supportRole, string operatorConnectionString)
    {
        // README sample support-access: SupportAccessSampleAsync
        // As the owner, at startup or in a migration: support access for the NOLOGIN role "support".
        await new PolicyInstaller(owner).Add<Order>().GrantTo(appLogin).UseSupportAccess(supportRole).ApplyAsync();

        // In the support tool, connected as an operator's login (a member of the support role):
        await using var operatorLogin = NpgsqlDataSource.Create(operatorConnectionString);
        var support = new SupportDataSource(operatorLogin);
        await using var session = await support.OpenAsync("alice@example.com", "ticket 4711: missing invoice", SupportScope.Of("acme"));
        var orders = await session.QueryAsync<Order>("select * from orders");   // acme's rows; the log row went with this statement

        // As the owner: who looked at acme, and why?
        var entries = await new SupportAccessLog(owner).ReadAsync(new SupportAccessQuery { Tenant = "acme" });
        // README sample end
        orders.Select(o => o.Id).Order().ShouldBe([1, 2, 3, 4, 5]);
        return entries;
    }
}
