using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Verifier;

/// <summary>The verifier passes on the repository's own sample schemas, and the throwing call then returns the report.</summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync)]
[TestFixture(SyncOrAsync.Async)]
public class SampleSchemaTests(SyncOrAsync mode)
{
    private bool Async => mode == SyncOrAsync.Async;

    [Test]
    public async Task The_hand_written_orders_policy_of_the_tests_is_verified_and_its_rows_are_untouched()
    {
        await using var orders = await OrdersDatabase.CreateAsync("verifier_orders");
        await using var app = orders.Database.CreateAppDataSource();
        var before = await orders.AllOrdersAsync();
        var verifier = new TenantSchemaVerifier(orders.Owner, app).Add<OrdersRow>();

        var report = Async ? await verifier.AssertVerifiedAsync() : verifier.AssertVerified();

        report.Passed.ShouldBeTrue(report.ToString());
        report.Tables.Select(t => (t.Name, t.TenantColumn, t.Status)).ShouldBe([("public.orders", "tenant", TableVerificationStatus.Verified)]);
        report.Tables[0].Sources.ShouldBe(["DapperTenants.Tests.Verifier.SampleSchemaTests.OrdersRow.Tenant"]);
        report.ToString().ShouldBe($"Tenant schema verification as {orders.Database.AppRole}: 1 of 1 table(s) verified, 0 findings.");
        (await orders.AllOrdersAsync()).ShouldBe(before);
    }

    [Test]
    public async Task The_readme_quick_start_schema_set_up_by_the_installer_is_verified()
    {
        await using var database = await TestServer.CreateDatabaseAsync("verifier_quickstart");
        await database.ExecuteAsOwnerAsync("create table orders (id int primary key, tenant text not null, total numeric not null)");
        await using var owner = database.CreateOwnerDataSource();
        await using var app = database.CreateAppDataSource();
        await new PolicyInstaller(owner).Add<OrdersRow>().ApplyAsync();

        var report = Async ? await new TenantSchemaVerifier(owner, app).Add<OrdersRow>().VerifyAsync() : new TenantSchemaVerifier(owner, app).Add<OrdersRow>().Verify();

        report.Passed.ShouldBeTrue(report.ToString());
        report.Findings.ShouldBeEmpty();
    }

    [Test]
    public async Task Tables_of_many_column_types_with_uuid_and_integer_tenants_and_serial_keys_are_seeded_and_verified()
    {
        await using var database = await TestServer.CreateDatabaseAsync("verifier_types");
        await database.ExecuteAsOwnerAsync("""
            create table invoices (
                id bigserial, tenant_id uuid not null, code varchar(12) not null, issued date not null, at timestamptz not null,
                paid boolean not null, amount numeric(8,2) not null, payload jsonb not null, tags text[] not null, blob bytea not null,
                ip inet not null, memo text, primary key (tenant_id, id), unique (tenant_id, code));
            create table "Line Items" (id int generated always as identity primary key, "Shop" int not null, qty smallint not null check (qty > 0));
            """);
        await using var owner = database.CreateOwnerDataSource();
        await using var app = database.CreateAppDataSource();
        await new PolicyInstaller(owner).Add<Invoice>().Add<LineItem>().ApplyAsync();

        var verifier = new TenantSchemaVerifier(owner, app).Add<Invoice>().Add<LineItem>();
        var report = Async ? await verifier.VerifyAsync() : verifier.Verify();

        report.Tables.Select(t => (t.Name, t.Status)).ShouldBe([("public.invoices", TableVerificationStatus.Verified), ("public.\"Line Items\"", TableVerificationStatus.Verified)],
            report.ToString());
        await using var admin = NpgsqlDataSource.Create(database.AdminConnectionString);
        await using var count = admin.CreateCommand("select (select count(*) from invoices) + (select count(*) from \"Line Items\")");
        ((long)(await count.ExecuteScalarAsync())!).ShouldBe(0);
    }

    [Test]
    public async Task A_type_whose_table_does_not_exist_is_DT100()
    {
        await using var database = await TestServer.CreateDatabaseAsync("verifier_missing");
        await using var owner = database.CreateOwnerDataSource();
        await using var app = database.CreateAppDataSource();

        var report = Async ? await new TenantSchemaVerifier(owner, app).Add<Invoice>().VerifyAsync() : new TenantSchemaVerifier(owner, app).Add<Invoice>().Verify();

        report.Findings.Select(f => (f.Code, f.Target, f.Title)).ShouldBe([
            ("DT100", "public.invoices", "No table public.invoices with the tenant column tenant_id exists for DapperTenants.Tests.Verifier.SampleSchemaTests.Invoice.TenantId."),
        ]);
        report.Tables.Single().Status.ShouldBe(TableVerificationStatus.Failed);
    }

    [Test]
    public async Task A_verifier_without_types_refuses_to_pass()
    {
        await using var database = await TestServer.CreateDatabaseAsync("verifier_empty");
        await using var owner = database.CreateOwnerDataSource();
        await using var app = database.CreateAppDataSource();
        var verifier = new TenantSchemaVerifier(owner, app);

        var ex = Async ? await Should.ThrowAsync<InvalidOperationException>(() => verifier.VerifyAsync()) : Should.Throw<InvalidOperationException>(() => verifier.Verify());

        ex.Message.ShouldBe("The verifier has no [Rls] type to verify: call Add<T>(), Add(Type) or AddAssembly(Assembly) first.");
        var notRls = typeof(string);
        Should.Throw<ArgumentException>(() => verifier.Add(notRls)).Message
            .ShouldBe("System.String has no [Rls] attribute. Tag it with [Rls], or do not add it. (Parameter 'type')");
    }

    [Rls("orders")]
    public sealed class OrdersRow
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }

    [Rls("invoices")]
    public sealed class Invoice
    {
        public long Id { get; set; }

        public Guid TenantId { get; set; }
    }

    [Rls("Line Items", TenantColumn = "Shop")]
    public sealed class LineItem
    {
        public int Id { get; set; }

        public int Shop { get; set; }
    }
}
