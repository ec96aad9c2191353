using System.Diagnostics;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Policies;

/// <summary>Script() gives migration tools re-runnable DDL that ends in the same state as ApplyAsync.</summary>
public sealed class ScriptTests
{
    private const string Setup = """
        CREATE SCHEMA "Sales";
        CREATE TABLE "Sales"."OrderLines" (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "TenantKey" text NOT NULL, qty integer);
        CREATE TABLE "Sales"."order" (id serial PRIMARY KEY, "user" uuid NOT NULL, total integer);
        CREATE TABLE "Sales"."promo $dapper_tenants$" ("cut 50% $ddl$" smallint NOT NULL);
        CREATE TABLE catalog_items (id integer PRIMARY KEY, tenant text, name text);
        CREATE TABLE events (id bigint NOT NULL, tenant_id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
        CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY LIST (tenant_id);
        CREATE TABLE events_2025_t1 PARTITION OF events_2025 FOR VALUES IN (1);
        CREATE TABLE events_2026 (id bigint NOT NULL, tenant_id bigint NOT NULL, at date NOT NULL);
        ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        """;

    [Test]
    [Category(Categories.Unit)]
    public void Script_needs_no_database_and_drops_each_policy_before_creating_it()
    {
        using var offline = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody");

        var script = new PolicyInstaller(offline, new TenantOptions { SettingName = "app.tenant" }).Add<ApplyTests.InvoiceRow>().GrantTo("web").Script();

        script.ShouldContain("""
            -- "public"."invoice" (DapperTenants.Tests.Policies.ApplyTests.InvoiceRow.Tenant)
            ALTER TABLE "public"."invoice" ENABLE ROW LEVEL SECURITY;
            ALTER TABLE "public"."invoice" FORCE ROW LEVEL SECURITY;
            DROP POLICY IF EXISTS "dapper_tenants_isolation" ON "public"."invoice";
            CREATE POLICY "dapper_tenants_isolation" ON "public"."invoice" AS PERMISSIVE FOR ALL TO PUBLIC
                USING ("tenant" = (SELECT NULLIF(current_setting('app.tenant', true), '')::text))
                WITH CHECK ("tenant" = (SELECT NULLIF(current_setting('app.tenant', true), '')::text));
            DROP POLICY IF EXISTS "dapper_tenants_shared_rows" ON "public"."invoice";
            -- Without ONLY, the default also reaches every partition.
            ALTER TABLE "public"."invoice" ALTER COLUMN "tenant" SET DEFAULT NULLIF(current_setting('app.tenant', true), '')::text;
            GRANT USAGE ON SCHEMA "public" TO "web";
            GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE "public"."invoice" TO "web";
            DO $dapper_tenants$
            """);
        script.ShouldContain("FOR relation IN SELECT relid FROM pg_partition_tree('\"public\".\"invoice\"'::regclass) WHERE level > 0 LOOP");
        script.ShouldContain("EXECUTE format($ddl$GRANT USAGE, SELECT ON SEQUENCE %s TO \"web\"$ddl$, relation);");
        script.ShouldNotContain("TRUNCATE");
        script.ShouldNotContain("REFERENCES");
    }

    [Test]
    [Category(Categories.Unit)]
    public void Percent_signs_and_dollar_quotes_in_names_are_escaped_for_the_DO_block()
    {
        using var offline = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody");

        var script = new PolicyInstaller(offline).Add<Promo>().Script();

        script.ShouldContain("ALTER TABLE \"Sales\".\"promo $dapper_tenants$\" ENABLE ROW LEVEL SECURITY;");
        script.ShouldContain("DO $dapper_tenants1$");
        script.ShouldContain("pg_partition_tree('\"Sales\".\"promo $dapper_tenants$\"'::regclass)");
        script.ShouldContain("EXECUTE format($ddl1$ALTER TABLE %s ENABLE ROW LEVEL SECURITY$ddl1$, relation);");
        script.ShouldContain("USING (\"cut 50%% $ddl$\" = (SELECT NULLIF(current_setting('dapper_tenants.tenant', true), '')::smallint))");
    }

    [Test]
    [Category(Categories.Database)]
    public async Task Script_run_twice_with_psql_leaves_the_state_ApplyAsync_leaves()
    {
        await using var applied = await TestServer.CreateDatabaseAsync("script_apply");
        await using var scripted = await TestServer.CreateDatabaseAsync("script_psql");
        await applied.ExecuteAsOwnerAsync(Setup);
        await scripted.ExecuteAsOwnerAsync(Setup);
        await using var appliedOwner = applied.CreateOwnerDataSource();
        await using var scriptedOwner = scripted.CreateOwnerDataSource();

        (await Installer(appliedOwner, applied).ApplyAsync()).Errors.ShouldBeEmpty();
        var path = Path.Combine(Path.GetTempPath(), $"dapper-tenants-script-{Guid.NewGuid():N}.sql");
        try
        {
            await File.WriteAllTextAsync(path, Installer(scriptedOwner, scripted).Script());
            await RunPsqlAsync(scripted, path);
            var afterFirstRun = await CatalogProbe.SnapshotAsync(scripted);
            await RunPsqlAsync(scripted, path);

            (await CatalogProbe.SnapshotAsync(scripted)).ShouldBe(afterFirstRun);
        }
        finally
        {
            File.Delete(path);
        }

        var snapshot = await CatalogProbe.SnapshotAsync(scripted);
        snapshot.ShouldBe(await CatalogProbe.SnapshotAsync(applied));
        snapshot.ShouldContain("policy public.events_2025_t1 dapper_tenants_isolation");
        snapshot.ShouldContain("policy public.catalog_items dapper_tenants_shared_rows");
        (await Installer(scriptedOwner, scripted).PlanAsync()).IsEmpty.ShouldBeTrue();
    }

    private static PolicyInstaller Installer(NpgsqlDataSource owner, TestDatabase database) => new PolicyInstaller(owner)
        .Add<QuotingAndGrantTests.OrderLine>()
        .Add<QuotingAndGrantTests.Order>()
        .Add<Promo>()
        .Add<SharedRowsTests.CatalogItem>()
        .Add<PartitionTests.TenantEvent>()
        .GrantTo(database.AppRole);

    private static async Task RunPsqlAsync(TestDatabase database, string path)
    {
        var connection = new NpgsqlConnectionStringBuilder(database.OwnerConnectionString);
        var start = new ProcessStartInfo("psql") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", path })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PGHOST"] = connection.Host;
        start.Environment["PGPORT"] = connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["PGDATABASE"] = connection.Database;
        start.Environment["PGUSER"] = connection.Username;
        start.Environment["PGPASSWORD"] = connection.Password;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("psql did not start; install the PostgreSQL client (apt-get install postgresql-client).");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.ShouldBe(0, await stderr + await stdout);
    }

    [Rls("promo $dapper_tenants$", Schema = "Sales", TenantColumn = "cut 50% $ddl$")]
    public sealed class Promo
    {
        [System.ComponentModel.DataAnnotations.Schema.Column("cut 50% $ddl$")]
        public short Cut { get; set; }
    }
}
