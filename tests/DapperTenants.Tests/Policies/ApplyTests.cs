using DapperTenants.Catalog;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Policies;

/// <summary>ApplyAsync brings a table to the model's RLS state, once, and repairs hand-made drift.</summary>
[Category(Categories.Database)]
public sealed class ApplyTests
{
    private const string Invoice = "\"public\".\"invoice\"";

    private TestDatabase _database = null!;
    private NpgsqlDataSource _owner = null!;

    [SetUp]
    public async Task CreateInvoiceTable()
    {
        _database = await TestServer.CreateDatabaseAsync("apply");
        await _database.ExecuteAsOwnerAsync("CREATE TABLE invoice (id integer PRIMARY KEY, tenant text NOT NULL, total numeric); CREATE INDEX ON invoice (tenant);");
        _owner = _database.CreateOwnerDataSource();
    }

    [TearDown]
    public async Task DropDatabase()
    {
        await _owner.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Test]
    public async Task First_apply_enables_and_forces_rls_and_installs_the_policy_and_the_default()
    {
        var plan = await Installer().ApplyAsync();

        plan.Steps.Select(s => s.ToString()).ShouldBe([
            $"{Invoice}: RLS not enabled", $"{Invoice}: RLS not forced", $"{Invoice}: policy missing", $"{Invoice}: default missing"]);
        plan.Errors.ShouldBeEmpty();
        plan.Warnings.ShouldBe([$"{Invoice}: the primary key invoice_pkey does not lead on the tenant column \"tenant\". Unique checks ignore Row-Level "
            + "Security, so an insert that fails tells a tenant that another tenant has that key (an existence oracle), and EXPLAIN's estimates over "
            + "it leak other tenants' values. Lead it with the tenant column: (\"tenant\", …)."]);
        (await CatalogProbe.RlsAsync(_database, "invoice")).ShouldBe((true, true));
        var policy = (await CatalogProbe.PolicyAsync(_database, "invoice")).ShouldNotBeNull();
        policy.ShouldBe(new CatalogProbe.PolicyRow("dapper_tenants_isolation", Permissive: true, Command: "*", ToPublic: true,
            Using: CatalogProbe.TextPolicy, Check: CatalogProbe.TextPolicy));
        (await CatalogProbe.DefaultAsync(_database, "invoice", "tenant")).ShouldBe(CatalogProbe.TextValue);
    }

    [Test]
    public async Task The_request_path_discovers_the_installed_table_and_its_tenant_column()
    {
        await Installer().ApplyAsync();
        await using var app = _database.CreateAppDataSource();
        await using var connection = await app.OpenConnectionAsync();

        var catalog = await CatalogReader.ReadAsync(connection, TenantOptions.DefaultSettingName, CancellationToken.None);

        var table = catalog.Tables.ShouldHaveSingleItem();
        (table.Schema, table.Table, table.TenantColumn, table.TenantType).ShouldBe(("public", "invoice", "tenant", "text"));
    }

    [Test]
    public async Task Plan_lists_the_steps_with_their_sql_and_changes_nothing()
    {
        var plan = await Installer().PlanAsync();

        plan.IsEmpty.ShouldBeFalse();
        plan.ToSql().ShouldBe($"""
            -- {Invoice}: RLS not enabled
            ALTER TABLE {Invoice} ENABLE ROW LEVEL SECURITY;
            -- {Invoice}: RLS not forced
            ALTER TABLE {Invoice} FORCE ROW LEVEL SECURITY;
            -- {Invoice}: policy missing
            CREATE POLICY "dapper_tenants_isolation" ON {Invoice} AS PERMISSIVE FOR ALL TO PUBLIC
                USING ("tenant" = (SELECT NULLIF(current_setting('dapper_tenants.tenant', true), '')::text))
                WITH CHECK ("tenant" = (SELECT NULLIF(current_setting('dapper_tenants.tenant', true), '')::text));
            -- {Invoice}: default missing
            ALTER TABLE ONLY {Invoice} ALTER COLUMN "tenant" SET DEFAULT NULLIF(current_setting('dapper_tenants.tenant', true), '')::text;

            """);
        (await CatalogProbe.RlsAsync(_database, "invoice")).ShouldBe((false, false));
        (await CatalogProbe.PolicyAsync(_database, "invoice")).ShouldBeNull();
    }

    [Test]
    public async Task Second_apply_is_empty_and_sends_no_ddl()
    {
        await Installer().ApplyAsync();
        var before = await CatalogProbe.FingerprintAsync(_database);

        var second = await Installer().ApplyAsync();

        second.IsEmpty.ShouldBeTrue();
        second.Steps.ShouldBeEmpty();
        second.ToSql().ShouldBeEmpty();
        (await CatalogProbe.FingerprintAsync(_database)).ShouldBe(before);
        (await Installer().PlanAsync()).IsEmpty.ShouldBeTrue();
    }

    [Test]
    public void Sync_plan_and_apply_do_what_the_async_ones_do()
    {
        var installer = Installer();

        installer.Plan().Steps.Count.ShouldBe(4);
        installer.Apply().Steps.Count.ShouldBe(4);
        installer.Plan().IsEmpty.ShouldBeTrue();
        installer.Apply().IsEmpty.ShouldBeTrue();
    }

    [TestCase("ALTER TABLE invoice NO FORCE ROW LEVEL SECURITY", "RLS not forced")]
    [TestCase("ALTER TABLE invoice DISABLE ROW LEVEL SECURITY", "RLS not enabled")]
    [TestCase("DROP POLICY dapper_tenants_isolation ON invoice", "policy missing")]
    [TestCase("ALTER POLICY dapper_tenants_isolation ON invoice USING (true)", "policy expression differs from the model")]
    [TestCase("ALTER POLICY dapper_tenants_isolation ON invoice WITH CHECK (tenant <> '')", "policy expression differs from the model")]
    [TestCase("ALTER POLICY dapper_tenants_isolation ON invoice USING (tenant = current_setting('dapper_tenants.tenant'))", "policy expression differs from the model")]
    [TestCase("ALTER POLICY dapper_tenants_isolation ON invoice TO pg_monitor", "policy is not PERMISSIVE FOR ALL TO PUBLIC")]
    [TestCase("DROP POLICY dapper_tenants_isolation ON invoice; CREATE POLICY dapper_tenants_isolation ON invoice AS RESTRICTIVE USING (true)",
        "policy is not PERMISSIVE FOR ALL TO PUBLIC")]
    [TestCase("DROP POLICY dapper_tenants_isolation ON invoice; CREATE POLICY dapper_tenants_isolation ON invoice FOR SELECT USING (true)",
        "policy is not PERMISSIVE FOR ALL TO PUBLIC")]
    [TestCase("ALTER TABLE invoice ALTER COLUMN tenant DROP DEFAULT", "default missing")]
    [TestCase("ALTER TABLE invoice ALTER COLUMN tenant SET DEFAULT 'acme'", "default differs from the model")]
    public async Task Hand_made_drift_is_named_by_the_plan_and_repaired_by_apply(string drift, string reason)
    {
        await Installer().ApplyAsync();
        var applied = await CatalogProbe.SnapshotAsync(_database);
        await _database.ExecuteAsOwnerAsync(drift);

        var plan = await Installer().PlanAsync();
        var repair = await Installer().ApplyAsync();

        plan.Steps.Select(s => s.ToString()).ShouldBe([$"{Invoice}: {reason}"]);
        repair.Steps.Select(s => s.Reason).ShouldBe([reason]);
        (await CatalogProbe.SnapshotAsync(_database)).ShouldBe(applied);
        (await Installer().PlanAsync()).IsEmpty.ShouldBeTrue();
    }

    [Test]
    public async Task A_policy_rewritten_by_hand_with_the_model_expression_is_not_drift()
    {
        await Installer().ApplyAsync();
        const string own = "tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')::text)";
        await _database.ExecuteAsOwnerAsync($"ALTER POLICY dapper_tenants_isolation ON invoice USING ({own}) WITH CHECK ({own})");

        (await Installer().PlanAsync()).IsEmpty.ShouldBeTrue();
    }

    [Test]
    public async Task Four_concurrent_applies_all_succeed_and_only_one_changes_anything()
    {
        // A barrier: the test holds the installer's advisory lock until all four applies wait on it at once, so they
        // provably overlap (run one after another, they would never be four waiters).
        await using var barrier = new NpgsqlConnection(_database.AdminConnectionString);
        await barrier.OpenAsync();
        await barrier.ExecuteAsync("select pg_advisory_lock(@key)", new { key = DapperTenants.Policies.PolicySql.LockKey });
        var sources = Enumerable.Range(0, 4).Select(_ => _database.CreateOwnerDataSource()).ToList();
        try
        {
            var applies = sources.Select(source => Task.Run(() => new PolicyInstaller(source).Add<InvoiceRow>().ApplyAsync())).ToList();
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (await barrier.ExecuteScalarAsync<long>(
                "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and wait_event = 'advisory'") < 4)
            {
                applies.ShouldAllBe(a => !a.IsCompleted, "no apply may finish while the test holds the lock");
                waited.Elapsed.ShouldBeLessThan(TimeSpan.FromMinutes(2), "four applies never waited on the advisory lock at the same time");
                await Task.Delay(10);
            }

            await barrier.ExecuteAsync("select pg_advisory_unlock(@key)", new { key = DapperTenants.Policies.PolicySql.LockKey });
            var plans = await Task.WhenAll(applies);

            plans.Count(p => !p.IsEmpty).ShouldBe(1);
            plans.Single(p => !p.IsEmpty).Steps.Count.ShouldBe(4);
            (await CatalogProbe.PolicyAsync(_database, "invoice")).ShouldNotBeNull().Using.ShouldBe(CatalogProbe.TextPolicy);
        }
        finally
        {
            await barrier.ExecuteAsync("select pg_advisory_unlock_all()");
            foreach (var source in sources)
            {
                await source.DisposeAsync();
            }
        }
    }

    [Test]
    public async Task A_custom_setting_name_is_what_the_policy_and_the_default_read()
    {
        var options = new TenantOptions { SettingName = "app.tenant_id" };

        await new PolicyInstaller(_owner, options).Add<InvoiceRow>().ApplyAsync();

        (await CatalogProbe.PolicyAsync(_database, "invoice")).ShouldNotBeNull().Using
            .ShouldBe("(tenant = ( SELECT NULLIF(current_setting('app.tenant_id'::text, true), ''::text) AS \"nullif\"))");
        (await CatalogProbe.DefaultAsync(_database, "invoice", "tenant")).ShouldBe("NULLIF(current_setting('app.tenant_id'::text, true), ''::text)");
        (await new PolicyInstaller(_owner, options).Add<InvoiceRow>().PlanAsync()).IsEmpty.ShouldBeTrue();
        (await Installer().PlanAsync()).Steps.Select(s => s.Reason).ShouldBe(["policy expression differs from the model", "default differs from the model"]);
    }

    private PolicyInstaller Installer() => new PolicyInstaller(_owner).Add<InvoiceRow>();

    [Rls("invoice")]
    public sealed class InvoiceRow
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = string.Empty;

        public decimal Total { get; set; }
    }
}
