using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Policies;

/// <summary>The C# samples of the README's "Installing the policies", verbatim between the markers, compiled and run.</summary>
public sealed class ReadmeSampleTests
{
    private static readonly Guid Northwind = Guid.Parse("7d1c8f1e-3a3b-4c4d-9e9f-0a1b2c3d4e5f");

    [Test]
    [Category(Categories.Database)]
    public async Task The_startup_sample_isolates_tenants_shares_null_rows_and_grants_the_app_role()
    {
        await using var database = await TestServer.CreateDatabaseAsync("readme");
        await database.ExecuteAsOwnerAsync("""
            CREATE TABLE invoice (id integer PRIMARY KEY, tenant text NOT NULL, total numeric NOT NULL);
            CREATE INDEX ON invoice (tenant);
            CREATE SCHEMA crm;
            CREATE TABLE crm.customer_notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id uuid, text text NOT NULL);
            CREATE INDEX ON crm.customer_notes (tenant_id);
            """);

        await InstallPoliciesAsync(database.OwnerConnectionString, database.AppRole);

        await database.ExecuteAsAdminAsync($"""
            INSERT INTO invoice VALUES (1, 'acme', 10), (2, 'globex', 20);
            INSERT INTO crm.customer_notes (tenant_id, text) VALUES (NULL, 'for everyone'), ('{Northwind}', 'private'), ('{Guid.NewGuid()}', 'other');
            """);
        await using var tenants = database.CreateTenantDataSource(configureOptions: o => o.GuardMode = TenantGuardMode.Off);
        await using var acme = await tenants.OpenAsync("acme");
        (await acme.QueryAsync<Invoice>("select id, tenant, total from invoice")).Select(i => (i.Id, i.Tenant, i.Total)).ShouldBe([(1, "acme", 10m)]);
        await using var northwind = await tenants.OpenAsync(Northwind.ToString());
        (await northwind.QueryAsync<string>("select text from crm.customer_notes order by id")).ShouldBe(["for everyone", "private"]);
        (await northwind.ExecuteAsync("insert into crm.customer_notes (text) values ('mine')")).ShouldBe(1);
        (await northwind.ExecuteAsync("update crm.customer_notes set text = 'changed' where text = 'for everyone'")).ShouldBe(0);
    }

    [Test]
    [Category(Categories.Unit)]
    public void The_migration_sample_scripts_both_tables()
    {
        using var offline = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody");

        var script = ScriptForMigrations(offline);

        script.ShouldContain("CREATE POLICY \"dapper_tenants_isolation\" ON \"public\".\"invoice\"");
        script.ShouldContain("CREATE POLICY \"dapper_tenants_shared_rows\" ON \"crm\".\"customer_notes\"");
        script.ShouldContain("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE \"crm\".\"customer_notes\" TO \"app\";");
    }

    // README sample installer-startup: InstallPoliciesAsync
    static async Task InstallPoliciesAsync(string ownerConnectionString, string appRole)
    {
        await using var owner = NpgsqlDataSource.Create(ownerConnectionString);
        var plan = await new PolicyInstaller(owner)
            .Add<Invoice>()
            .Add<CustomerNote>()                 // or .AddAssembly(typeof(Invoice).Assembly)
            .GrantTo(appRole)
            .ApplyAsync();
        foreach (var warning in plan.Warnings)
        {
            Console.Error.WriteLine(warning);
        }
    }
    // README sample end

    // README sample installer-migrations: ScriptForMigrations
    static string ScriptForMigrations(NpgsqlDataSource ownerDataSource) =>
        new PolicyInstaller(ownerDataSource).Add<Invoice>().Add<CustomerNote>().GrantTo("app").Script();
    // README sample end

    // README sample installer-types: Invoice, CustomerNote
    [Rls]                                    // table "invoice", tenant column "tenant"
    public class Invoice
    {
        public int Id { get; set; }
        public string Tenant { get; set; } = "";
        public decimal Total { get; set; }
    }

    [Rls("customer_notes", Schema = "crm", SharedRows = true)]
    public class CustomerNote
    {
        public long Id { get; set; }
        public Guid? TenantId { get; set; }  // column "tenant_id"; NULL rows are shared
        public string Text { get; set; } = "";
    }
    // README sample end
}
