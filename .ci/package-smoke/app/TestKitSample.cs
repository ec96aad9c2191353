using DapperTenants;
using DapperTenants.Testing;

namespace PackageSmoke;

/// <summary>DapperTenants.Testing's package README sample, line for line, then one assertion that must fail.</summary>
internal static class TestKitSample
{
    public static async Task RunAsync(PostgresServer server)
    {
        // Per fixture: a database with an owner role and an application login (NOSUPERUSER NOBYPASSRLS, owner of nothing).
        await using var database = await server.CreateDatabaseAsync("orders");
        await database.ExecuteAsOwnerAsync("create table orders (id int primary key, tenant text not null, total numeric not null)");
        await using (var owner = database.CreateOwnerDataSource())
        {
            await new PolicyInstaller(owner).Add<Order>().ApplyAsync();                  // or your own migrations
        }

        await RunVerifierAsync(database);

        // Per test: a transaction on the application's login, rolled back when disposed.
        await using var app = database.CreateAppDataSource();
        await using var policy = await PolicyTransaction.BeginAsync(app);
        await policy.ActAsAsync("acme");                                                   // set_config(setting, 'acme', true)
        await policy.ExecuteAsync("insert into orders (id, total) values (1, 10)");         // seeded as acme
        await policy.ActAsAsync("globex");
        await policy.AssertSeesAsync(0, "select * from orders");                           // acme's row is invisible
        await policy.AssertWriteRejectedAsync("insert into orders (id, tenant, total) values (2, 'acme', 5)");   // SQL state 42501
        await policy.AssertFilteredAsync("update orders set total = 0 where id = 1");      // affects 0 rows
        await policy.AssertFilteredAsync("delete from orders where id = 1");
        await policy.AssertSeesNothingWithoutTenantAsync("select * from orders");

        // And the kit can fail: as acme, its own row is visible, so "sees nothing" must throw the kit's exception.
        await policy.ActAsAsync("acme");
        try
        {
            await policy.AssertSeesAsync(0, "select * from orders");
            throw new InvalidOperationException("AssertSeesAsync(0, ...) passed although acme sees its own row.");
        }
        catch (PolicyAssertionException ex) when (ex.Message.StartsWith("Expected the query to return 0 rows as tenant 'acme', but it returned 1 row.", StringComparison.Ordinal))
        {
        }
    }

    /// <summary>The README's verifier sample, then a planted defect the throwing call must report.</summary>
    private static async Task RunVerifierAsync(TestDatabase database)
    {
        await using var app = database.CreateAppDataSource();
        // In any test framework: one call checks every [Rls] table of the assembly and throws one exception listing every failure.
        await using var ownerSource = database.CreateOwnerDataSource();
        await new TenantSchemaVerifier(ownerSource, app).AddAssembly(typeof(Order).Assembly).AssertVerifiedAsync();
        var report = await new TenantSchemaVerifier(ownerSource, app).Add<Order>().VerifyAsync();   // or inspect the report
        Console.WriteLine(report);                                  // "Tenant schema verification as …: 1 of 1 table(s) verified, 0 findings."
        if (!report.Passed || report.Tables.Count != 1)
        {
            throw new InvalidOperationException("The verifier did not pass the installer's orders table: " + report);
        }

        await database.ExecuteAsOwnerAsync("alter table orders no force row level security");
        try
        {
            await new TenantSchemaVerifier(ownerSource, app).Add<Order>().AssertVerifiedAsync();
            throw new InvalidOperationException("AssertVerifiedAsync passed although orders is not forced.");
        }
        catch (SchemaVerificationException ex) when (ex.Message.Contains("- DT002 warning public.orders: Row-Level Security is enabled but not forced.", StringComparison.Ordinal))
        {
        }
        finally
        {
            await database.ExecuteAsOwnerAsync("alter table orders force row level security");
        }
    }
}
