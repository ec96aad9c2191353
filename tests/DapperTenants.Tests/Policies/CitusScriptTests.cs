using System.ComponentModel.DataAnnotations.Schema;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Policies;

/// <summary>
/// UseCitus(): the script's Citus form, pinned as text (no Citus server can run here; docs/scale-out.md, section 5),
/// and the refusals of what cannot work on Citus yet.
/// </summary>
[Category(Categories.Unit)]
public sealed class CitusScriptTests
{
    private NpgsqlDataSource _offline = null!;

    [SetUp]
    public void CreateOfflineDataSource() => _offline = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody");

    [TearDown]
    public void DisposeOfflineDataSource() => _offline.Dispose();

    private const string SignedConflict =
        "PolicyInstaller.UseCitus() cannot be combined with the signed context (UseSignedContext, RetireSigningKey or "
        + "TenantOptions.SigningKey): on Citus the token would travel as a literal in SET LOCAL, readable in pg_stat_activity "
        + "on every node, and the verifier's needs there are not built. Use the plain tenant setting with Citus, or leave out UseCitus().";

    private const string ScriptOnly =
        "PolicyInstaller.UseCitus() is supported by Script() only: Plan, Apply and their async twins compare the database with "
        + "the usual form of the policies (with a sub-select, which Citus refuses on a distributed table), would replace the "
        + "Citus form, and do not check how the tables are distributed. Run the output of Script() (dapper-tenants script --citus) "
        + "on the Citus coordinator instead.";

    [Test]
    public void Citus_script_distributes_reference_tables_first_then_each_table_colocated_with_the_first_of_its_tenant_type()
    {
        var script = FiveTables().GrantTo("web").GrantTo("Report\"ing").UseCitus().Script();

        script.ShouldEndWith(""""

            -- Citus: shared rows have a NULL tenant, which a distribution column cannot hold, so SharedRows tables become
            -- reference tables (a copy on every node), first, so that distributed tables may reference them.
            SELECT create_reference_table('"public"."catalog_items"')
            WHERE NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = '"public"."catalog_items"'::regclass);
            -- Every other table is distributed by its tenant column, in the order the types were registered, co-located with the
            -- first table of the same tenant type: one tenant's rows of every table on the same node, so joins stay local.
            -- Keys must include the tenant column; register referenced tables before the tables that reference them.
            -- A table already distributed is left as it is.
            SELECT create_distributed_table('"public"."customers"', 'tenant')
            WHERE NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = '"public"."customers"'::regclass);
            SELECT create_distributed_table('"public"."devices"', 'tenant_id')
            WHERE NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = '"public"."devices"'::regclass);
            SELECT create_distributed_table('"Sales"."Order''Lines"', 'Tenant "Key"', colocate_with => '"public"."customers"')
            WHERE NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = '"Sales"."Order''Lines"'::regclass);
            SELECT create_distributed_table('"public"."readings"', 'tenant_id', colocate_with => '"public"."devices"')
            WHERE NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = '"public"."readings"'::regclass);

            -- Citus sends SET LOCAL to the workers only with citus.propagate_set_commands = 'local' (the default is 'none').
            -- New sessions of the role pick it up: recycle the application's pooled connections.
            ALTER ROLE "web" SET citus.propagate_set_commands = 'local';
            ALTER ROLE "Report""ing" SET citus.propagate_set_commands = 'local';

            """");
    }

    [Test]
    public void Citus_policies_compare_the_tenant_column_with_the_setting_without_a_sub_select()
    {
        var script = FiveTables().UseCitus().Script();

        script.ShouldContain(""""
            CREATE POLICY "dapper_tenants_isolation" ON "Sales"."Order'Lines" AS PERMISSIVE FOR ALL TO PUBLIC
                USING ("Tenant ""Key""" = NULLIF(current_setting('app.tenant', true), '')::text)
                WITH CHECK ("Tenant ""Key""" = NULLIF(current_setting('app.tenant', true), '')::text);
            """");
        script.ShouldContain(""""
            CREATE POLICY "dapper_tenants_isolation" ON "public"."devices" AS PERMISSIVE FOR ALL TO PUBLIC
                USING ("tenant_id" = NULLIF(current_setting('app.tenant', true), '')::uuid)
                WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant', true), '')::uuid);
            """");
        script.ShouldContain(""""
            CREATE POLICY "dapper_tenants_shared_rows" ON "public"."catalog_items" AS PERMISSIVE FOR SELECT TO PUBLIC
                USING ("tenant" IS NULL AND NULLIF(current_setting('app.tenant', true), '') IS NOT NULL);
            """");
        script.ShouldContain(""""
                    EXECUTE format($ddl$CREATE POLICY "dapper_tenants_shared_rows" ON %s AS PERMISSIVE FOR SELECT TO PUBLIC
                USING ("tenant" IS NULL AND NULLIF(current_setting('app.tenant', true), '') IS NOT NULL)$ddl$, relation);
            """");
        script.ShouldNotContain("= (SELECT", Case.Sensitive, "the partitions' policies in the DO blocks lose the sub-select too");
        script.ShouldNotContain("AND (SELECT", Case.Sensitive);
    }

    [Test]
    public void Citus_script_says_that_the_tenant_context_for_Citus_is_not_built()
    {
        var script = FiveTables().UseCitus().Script();

        script.ShouldContain(""""
            -- Tenant setting: app.tenant
            -- Citus mode (PolicyInstaller.UseCitus()): the policies have no sub-select (Citus refuses one on a distributed table),
            -- and the tables are distributed by their tenant column at the end. Written from Citus's documentation and source,
            -- not run against Citus by DapperTenants: run docs/citus-isolation-checklist.sql on your cluster.
            -- NOT BUILT YET: the tenant context in Citus mode (SET LOCAL in a transaction block). DapperTenants connections still
            -- send set_config, which Citus does not propagate to the workers: there, such a connection sees no rows.
            SELECT pg_advisory_xact_lock(4923648732113232761);
            """");
    }

    [Test]
    public void Citus_script_without_roles_or_shared_rows_says_what_to_run_for_the_login()
    {
        var script = new PolicyInstaller(_offline).Add<Customer>().UseCitus().Script();

        script.ShouldEndWith(""""
            -- reference tables (a copy on every node), first, so that distributed tables may reference them.
            -- (none)
            -- Every other table is distributed by its tenant column, in the order the types were registered, co-located with the
            -- first table of the same tenant type: one tenant's rows of every table on the same node, so joins stay local.
            -- Keys must include the tenant column; register referenced tables before the tables that reference them.
            -- A table already distributed is left as it is.
            SELECT create_distributed_table('"public"."customers"', 'tenant')
            WHERE NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = '"public"."customers"'::regclass);

            -- Citus sends SET LOCAL to the workers only with citus.propagate_set_commands = 'local' (the default is 'none').
            -- New sessions of the role pick it up: recycle the application's pooled connections.
            -- No GrantTo role: run ALTER ROLE <the application's login> SET citus.propagate_set_commands = 'local';

            """");
        script.ShouldContain("USING (\"tenant\" = NULLIF(current_setting('dapper_tenants.tenant', true), '')::text)");
    }

    [Test]
    public void Without_UseCitus_the_script_keeps_the_sub_select_and_distributes_nothing()
    {
        var script = FiveTables().GrantTo("web").Script();

        script.ShouldContain("USING (\"tenant\" = (SELECT NULLIF(current_setting('app.tenant', true), '')::text))");
        script.ShouldContain("USING (\"tenant\" IS NULL AND (SELECT NULLIF(current_setting('app.tenant', true), '')) IS NOT NULL)");
        script.ShouldNotContain("Citus mode");
        script.ShouldNotContain("citus.propagate_set_commands");
        script.ShouldNotContain("pg_dist_partition");
        script.ShouldNotContain("create_distributed_table");
    }

    [Test]
    public void UseCitus_with_the_signed_context_is_refused_whichever_way_it_is_given()
    {
        var key = new byte[32];
        var installers = new[]
        {
            FiveTables().UseCitus().UseSignedContext(key),
            FiveTables().RetireSigningKey("old").UseCitus(),
            new PolicyInstaller(_offline, new TenantOptions { SigningKey = key }).Add<Customer>().UseCitus(),
        };

        foreach (var installer in installers)
        {
            Should.Throw<InvalidOperationException>(() => installer.Script()).Message.ShouldBe(SignedConflict);
            Should.Throw<InvalidOperationException>(() => installer.Script(includeSigningKeys: true)).Message.ShouldBe(SignedConflict);
        }
    }

    [Test]
    public void UseCitus_with_session_scope_is_refused()
    {
        var installer = new PolicyInstaller(_offline, new TenantOptions { ContextScope = TenantContextScope.Session }).Add<Customer>().UseCitus();

        Should.Throw<InvalidOperationException>(() => installer.Script()).Message.ShouldBe(
            "PolicyInstaller.UseCitus() cannot be combined with TenantOptions.ContextScope = TenantContextScope.Session: Citus never "
            + "sends a session SET to the workers, so Citus mode needs TenantContextScope.Transaction. Pass options with the default scope.");
        new PolicyInstaller(_offline, new TenantOptions { ContextScope = TenantContextScope.Session }).Add<Customer>().Script()
            .ShouldNotContain("create_distributed_table", Case.Sensitive, "session scope alone is not refused");
    }

    [Test]
    public async Task Plan_and_Apply_refuse_UseCitus_before_connecting()
    {
        // The data source points at a closed port: a refusal that came after connecting would be a connection error.
        var installer = FiveTables().UseCitus();

        Should.Throw<InvalidOperationException>(() => installer.Plan()).Message.ShouldBe(ScriptOnly);
        Should.Throw<InvalidOperationException>(() => installer.Apply()).Message.ShouldBe(ScriptOnly);
        (await Should.ThrowAsync<InvalidOperationException>(() => installer.PlanAsync())).Message.ShouldBe(ScriptOnly);
        (await Should.ThrowAsync<InvalidOperationException>(() => installer.ApplyAsync())).Message.ShouldBe(ScriptOnly);
    }

    private PolicyInstaller FiveTables() => new PolicyInstaller(_offline, new TenantOptions { SettingName = "app.tenant" })
        .Add<Customer>().Add<Device>().Add<CatalogItem>().Add<OrderLine>().Add<Reading>();

    [Rls("customers")]
    public sealed class Customer
    {
        public string Tenant { get; set; } = string.Empty;
    }

    [Rls("Order'Lines", Schema = "Sales", TenantColumn = "Tenant \"Key\"")]
    public sealed class OrderLine
    {
        [Column("Tenant \"Key\"")]
        public string TenantKey { get; set; } = string.Empty;
    }

    [Rls("devices")]
    public sealed class Device
    {
        public Guid TenantId { get; set; }
    }

    [Rls("readings")]
    public sealed class Reading
    {
        public Guid TenantId { get; set; }
    }

    [Rls("catalog_items", SharedRows = true)]
    public sealed class CatalogItem
    {
        public string? Tenant { get; set; }
    }
}
