using DapperTenants.Catalog;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Catalog;

/// <summary>
/// The guard, the installer's planner and the audit read tables through one reader into one model, so they judge the
/// same table the same way: here on tables whose tenant column has an unusual name, whose policy is hand-written, whose
/// access a second policy widens, that are partitions, that use the signed context, or that are not protected at all.
/// </summary>
[Category(Categories.Database)]
public class OneModelTests
{
    private const string Setting = "'dapper_tenants.tenant'";

    private static readonly string[] Planted =
        ["org_units", "widened", "events", "events_2026", "events_2027", "signed_docs", "no_policy", "unprotected", "other_setting"];

    private TestDatabase _database = null!;

    [OneTimeSetUp]
    public async Task Plant()
    {
        _database = await TestServer.CreateDatabaseAsync("one_model");
        await _database.ExecuteAsOwnerAsync($"""
            -- An unusual tenant column, protected by a hand-written policy (not the installer's name or shape).
            create table org_units (id int primary key, org_key text not null, name text);
            alter table org_units enable row level security;
            create policy by_org on org_units using (org_key = current_setting({Setting}, true)) with check (org_key = current_setting({Setting}, true));
            -- The tenant policy, and a permissive policy OR-ed with it that admits every row.
            create table widened (tenant text not null, id int not null, primary key (tenant, id));
            alter table widened enable row level security; alter table widened force row level security;
            create policy tenant_rows on widened using (tenant = (select nullif(current_setting({Setting}, true), '')));
            create policy everyone on widened for select using (true);
            -- A partitioned table: one partition with its own policy, one without Row-Level Security.
            create table events (tenant_ref text not null, id int not null, primary key (tenant_ref, id)) partition by list (tenant_ref);
            alter table events enable row level security;
            create policy tenant_rows on events using (tenant_ref = current_setting({Setting}, true));
            create table events_2026 partition of events for values in ('acme');
            alter table events_2026 enable row level security;
            create policy tenant_rows on events_2026 using (tenant_ref = current_setting({Setting}, true));
            create table events_2027 partition of events for values in ('globex');
            -- The signed context: the policy asks the verifier (a stand-in of the installer's) for the tenant.
            create schema dapper_tenants;
            create function dapper_tenants.tenant_of(setting text) returns text language sql stable as $$ select current_setting(setting, true) $$;
            create table signed_docs (tenant text not null, id int not null, primary key (tenant, id));
            alter table signed_docs enable row level security; alter table signed_docs force row level security;
            create policy tenant_rows on signed_docs using (tenant = (select dapper_tenants.tenant_of({Setting})));
            -- Row-Level Security without a policy, no Row-Level Security, a policy on another setting.
            create table no_policy (tenant text not null, id int primary key);
            alter table no_policy enable row level security;
            create table unprotected (tenant text not null, id int primary key);
            create table other_setting (tenant_id text not null, id int primary key);
            alter table other_setting enable row level security;
            create policy other_app on other_setting using (tenant_id = current_setting('other_app.tenant', true));
            grant usage on schema dapper_tenants to "{_database.AppRole}";
            grant select, insert on all tables in schema public to "{_database.AppRole}";
            """);
    }

    [OneTimeTearDown]
    public async Task Drop() => await _database.DisposeAsync();

    [Test]
    public void The_model_classifies_each_planted_table()
    {
        var tables = Read(_database.AdminConnectionString);
        string Describe(string name) => tables.Find("public", name)?.Classification is { } c
            ? $"{c.TenantColumn} {c.Shape}{(c.Protected ? " protected" : string.Empty)}{(c.Widened ? " widened" : string.Empty)}{(c.Partition ? " partition" : string.Empty)}"
            : "absent";

        Planted.Select(Describe).ShouldBe(
        [
            "org_key Setting protected",
            "tenant Setting protected widened",
            "tenant_ref Setting protected",
            "tenant_ref Setting protected partition",
            "tenant_ref None partition",
            "tenant Signed protected",
            "tenant None",
            "tenant None",
            "tenant_id Other",
        ]);
    }

    [Test]
    public async Task The_guard_the_planner_and_the_audit_classify_the_planted_tables_identically()
    {
        // The guard: what the data source learned at its first open, as the app login.
        await using var tenants = TenantDataSource.Create(_database.AppConnectionString);
        await using (await tenants.OpenAsync("acme"))
        {
        }

        var guard = tenants.Catalog;

        // The planner: what the installer reads for [Rls] types mapping the planted tables, as the owner.
        await using var owner = _database.CreateOwnerDataSource();
        await using var connection = await owner.OpenConnectionAsync();
        var planner = await CatalogReader.ReadForInstallerAsync(connection, new CatalogRequest("dapper_tenants.tenant")
        {
            Requested = [.. Planted.Select(t => ("public", t, t switch
            {
                "org_units" => "org_key",
                "other_setting" => "tenant_id",
                _ when t.StartsWith("events", StringComparison.Ordinal) => "tenant_ref",
                _ => "tenant",
            }))],
            Details = true,
        }, [], CancellationToken.None);

        // The audit, through its public report.
        var audit = await new TenantAudit(owner).RunAsync();

        foreach (var name in Planted)
        {
            var model = planner.Tables.Find("public", name).ShouldNotBeNull(name);
            var classification = model.Classification;
            var audited = audit.Tables.Single(t => t.Table == name);
            (audited.Name, audited.TenantColumn, audited.IsProtected, audited.RowSecurity, audited.ForceRowSecurity, audited.IsPartition, (int)audited.PolicyShape)
                .ShouldBe((classification.Name, classification.TenantColumn, classification.Protected, classification.RowSecurity, classification.Forced,
                    classification.Partition, (int)classification.Shape), name);
            var guarded = guard.Find("public", name);
            if (classification.Protected)
            {
                guarded.ShouldNotBeNull(name).Classification.ShouldBe(classification, name);
            }
            else
            {
                guarded.ShouldBeNull($"{name} is not protected, so the guard does not check writes to it");
            }
        }
    }

    [Test]
    public async Task The_guard_checks_writes_to_a_table_whose_tenant_column_has_an_unusual_name()
    {
        await using var tenants = TenantDataSource.Create(_database.AppConnectionString);
        await using var acme = await tenants.OpenAsync("acme");

        var refused = await Should.ThrowAsync<TenantGuardException>(() => acme.ExecuteAsync("insert into org_units (id, org_key) values (1, 'globex')"));

        refused.Message.ShouldStartWith("INSERT into public.org_units writes tenant 'globex', but this connection belongs to tenant 'acme'.");
    }

    private static CatalogTables Read(string connectionString)
    {
        using var connection = new Npgsql.NpgsqlConnection(connectionString);
        connection.Open();
        return CatalogReader.ReadTables(connection, new CatalogRequest("dapper_tenants.tenant") { TenantColumnHints = ["tenant", "tenant_id"], Details = true });
    }
}
