using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Policies;

/// <summary>What the plan reports as errors (which block applying) and warnings (which need a human).</summary>
[Category(Categories.Database)]
public sealed class PlanFindingsTests
{
    private TestDatabase _database = null!;
    private NpgsqlDataSource _owner = null!;

    [SetUp]
    public async Task CreateDatabase()
    {
        _database = await TestServer.CreateDatabaseAsync("findings");
        _owner = _database.CreateOwnerDataSource();
    }

    [TearDown]
    public async Task DropDatabase()
    {
        await _owner.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Test]
    public async Task Missing_tables_and_columns_and_disagreeing_types_are_errors_and_apply_changes_nothing()
    {
        await _database.ExecuteAsOwnerAsync("""
            CREATE TABLE good (id integer, tenant text NOT NULL);
            CREATE TABLE no_column (id integer, owner text);
            CREATE TABLE wrong_type (id integer, tenant_id bigint NOT NULL);
            CREATE VIEW a_view AS SELECT 'x'::text AS tenant;
            """);
        await _database.ExecuteAsAdminAsync("CREATE TABLE not_mine (tenant text NOT NULL)");
        var installer = new PolicyInstaller(_owner).Add<Good>().Add<Missing>().Add<NoColumn>().Add<WrongType>().Add<AView>().Add<NotMine>();
        const string prefix = "DapperTenants.Tests.Policies.PlanFindingsTests.";
        string[] errors = [
            $"Table \"public\".\"missing\" ({prefix}Missing.Tenant) does not exist. Create it first (the installer never creates tables), or fix the name in [Rls] or [Table].",
            $"Table \"public\".\"no_column\" has no column \"tenant\" for {prefix}NoColumn.Tenant. Add the column, or name the right one with [Column] or [Rls(TenantColumn)].",
            $"Column \"tenant_id\" of \"public\".\"wrong_type\" is bigint, but {prefix}WrongType.TenantId is Guid, which needs uuid. Change the property type or the column type.",
            $"\"public\".\"a_view\" ({prefix}AView.Tenant) is a view, not a table; Row-Level Security applies only to tables. Map the type to a table.",
            $"Table \"public\".\"not_mine\" is owned by \"postgres\", so the installer's login \"{_database.OwnerRole}\" cannot change it. Connect the installer as \"postgres\" or a member of it.",
        ];

        var plan = await installer.PlanAsync();
        var ex = await Should.ThrowAsync<RlsModelException>(() => installer.ApplyAsync());

        plan.Errors.ShouldBe(errors);
        plan.HasErrors.ShouldBeTrue();
        plan.IsEmpty.ShouldBeFalse();
        plan.Steps.ShouldAllBe(s => s.Target == "\"public\".\"good\"");
        ex.Message.ShouldBe("PolicyInstaller applied nothing: the database does not match the [Rls] types."
            + string.Concat(errors.Select(e => Environment.NewLine + "- " + e))
            + Environment.NewLine + "Fix these and run it again; PlanAsync() lists them without changing anything.");
        (await CatalogProbe.RlsAsync(_database, "good")).ShouldBe((false, false));
        (await CatalogProbe.PolicyAsync(_database, "good")).ShouldBeNull();
    }

    [Test]
    public async Task A_string_tenant_accepts_varchar_and_char_columns_without_false_drift()
    {
        await _database.ExecuteAsOwnerAsync("""
            CREATE TABLE good (tenant varchar(40) NOT NULL); CREATE INDEX ON good (tenant);
            CREATE TABLE missing (tenant char(8) NOT NULL); CREATE INDEX ON missing (tenant);
            """);
        var installer = new PolicyInstaller(_owner).Add<Good>().Add<Missing>();

        (await installer.ApplyAsync()).Errors.ShouldBeEmpty();

        (await installer.PlanAsync()).IsEmpty.ShouldBeTrue();
        (await CatalogProbe.PolicyAsync(_database, "good")).ShouldNotBeNull().Using.ShouldBe($"((tenant)::text = ( SELECT {CatalogProbe.TextValue} AS \"nullif\"))");
    }

    [Test]
    public async Task Warnings_name_a_missing_index_a_nullable_tenant_a_widening_policy_and_an_untagged_table()
    {
        await _database.ExecuteAsOwnerAsync("""
            CREATE TABLE good (id integer, tenant text);
            CREATE POLICY everyone_reads ON good FOR SELECT USING (true);
            CREATE POLICY narrower ON good AS RESTRICTIVE USING (id > 0);
            CREATE TABLE legacy (tenant text);
            ALTER TABLE legacy ENABLE ROW LEVEL SECURITY;
            CREATE POLICY dapper_tenants_isolation ON legacy USING (tenant = current_setting('dapper_tenants.tenant', true));
            """);

        var plan = await new PolicyInstaller(_owner).Add<Good>().PlanAsync();

        plan.Errors.ShouldBeEmpty();
        plan.Warnings.ShouldBe([
            "\"public\".\"good\": no index has the tenant column \"tenant\" as its leading column, so the policy filters every query without one. "
                + "Create one, for example CREATE INDEX ON \"public\".\"good\" (\"tenant\");",
            "\"public\".\"good\": the tenant column \"tenant\" is nullable and SharedRows is off, so a row whose tenant is NULL is visible to no tenant. "
                + "Add NOT NULL to the column, or set [Rls(SharedRows = true)] to share such rows.",
            "\"public\".\"good\": the permissive policy \"everyone_reads\" is OR-ed with \"dapper_tenants_isolation\", so it widens what tenants can read or write. "
                + "Drop it, or recreate it AS RESTRICTIVE.",
            "\"public\".\"legacy\" has the policy \"dapper_tenants_isolation\", but no [Rls] type maps the table any more; the installer leaves it in place. "
                + "If the table is no longer tenant-owned, drop it: DROP POLICY \"dapper_tenants_isolation\" ON \"public\".\"legacy\";",
        ]);
    }

    [Test]
    public async Task A_grantee_role_that_does_not_exist_is_an_error()
    {
        await _database.ExecuteAsOwnerAsync("CREATE TABLE good (tenant text NOT NULL)");

        var plan = await new PolicyInstaller(_owner).Add<Good>().GrantTo("nobody_by_that_name").PlanAsync();

        plan.Errors.ShouldBe(["Role \"nobody_by_that_name\" given to GrantTo does not exist. Create it first, or fix the name."]);
    }

    [Rls]
    public sealed class Good
    {
        public string Tenant { get; set; } = string.Empty;
    }

    [Rls]
    public sealed class Missing
    {
        public string Tenant { get; set; } = string.Empty;
    }

    [Rls]
    public sealed class NoColumn
    {
        public string Tenant { get; set; } = string.Empty;
    }

    [Rls]
    public sealed class WrongType
    {
        public Guid TenantId { get; set; }
    }

    [Rls("a_view")]
    public sealed class AView
    {
        public string Tenant { get; set; } = string.Empty;
    }

    [Rls]
    public sealed class NotMine
    {
        public string Tenant { get; set; } = string.Empty;
    }
}
