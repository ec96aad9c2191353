using DapperTenants.Catalog;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Policies;

/// <summary>With SharedRows, NULL-tenant rows are readable by every tenant and writable by none.</summary>
[Category(Categories.Database)]
public sealed class SharedRowsTests
{
    private TestDatabase _database = null!;
    private NpgsqlDataSource _owner = null!;
    private TenantDataSource _tenants = null!;

    [SetUp]
    public async Task CreateTableWithSharedRows()
    {
        _database = await TestServer.CreateDatabaseAsync("shared");
        await _database.ExecuteAsOwnerAsync("CREATE TABLE catalog_items (id integer PRIMARY KEY, tenant text, name text); CREATE INDEX ON catalog_items (tenant);");
        _owner = _database.CreateOwnerDataSource();
        var plan = await new PolicyInstaller(_owner).Add<CatalogItem>().ApplyAsync();
        plan.Errors.ShouldBeEmpty();
        plan.OtherThanKeys().ShouldBeEmpty("catalog_items_pkey (id) is the only warning: a shared row's NULL tenant cannot be in a primary key");
        await _database.ExecuteAsAdminAsync("INSERT INTO catalog_items VALUES (1, NULL, 'shared'), (2, 'acme', 'a'), (3, 'globex', 'g')");
        _tenants = _database.CreateTenantDataSource(configureOptions: o => o.GuardMode = TenantGuardMode.Off);
    }

    [TearDown]
    public async Task DropDatabase()
    {
        await _tenants.DisposeAsync();
        await _owner.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Test]
    public async Task Shared_rows_are_visible_to_every_tenant()
    {
        await using var acme = await _tenants.OpenAsync("acme");
        await using var globex = await _tenants.OpenAsync("globex");

        (await acme.QueryAsync<int>("select id from catalog_items order by id")).ShouldBe([1, 2]);
        (await globex.QueryAsync<int>("select id from catalog_items order by id")).ShouldBe([1, 3]);
    }

    [Test]
    public async Task No_tenant_can_change_claim_delete_or_create_a_shared_row()
    {
        await using var acme = await _tenants.OpenAsync("acme");

        (await acme.ExecuteAsync("update catalog_items set name = 'mine' where id = 1")).ShouldBe(0);
        (await acme.ExecuteAsync("update catalog_items set tenant = 'acme' where id = 1")).ShouldBe(0);
        (await acme.ExecuteAsync("delete from catalog_items where id = 1")).ShouldBe(0);
        (await Should.ThrowAsync<PostgresException>(() => acme.ExecuteAsync("insert into catalog_items (id, tenant, name) values (4, null, 'fake shared')")))
            .SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);

        await using var admin = new NpgsqlConnection(_database.AdminConnectionString);
        (await admin.QueryAsync<string>("select format('%s %s %s', id, coalesce(tenant, 'NULL'), name) from catalog_items order by id"))
            .ShouldBe(["1 NULL shared", "2 acme a", "3 globex g"]);
    }

    [Test]
    public async Task Without_a_tenant_not_even_shared_rows_are_visible()
    {
        await using var app = _database.CreateAppDataSource();
        await using var plain = await app.OpenConnectionAsync();

        (await plain.ExecuteScalarAsync<long>("select count(*) from catalog_items")).ShouldBe(0);
    }

    [Test]
    public async Task The_shared_rows_policy_is_select_only_and_goes_away_when_SharedRows_is_turned_off()
    {
        var shared = (await CatalogProbe.PolicyAsync(_database, "catalog_items", "dapper_tenants_shared_rows")).ShouldNotBeNull();
        (shared.Permissive, shared.Command, shared.ToPublic, shared.Check).ShouldBe((true, "r", true, (string?)null));
        await using (var connection = await _owner.OpenConnectionAsync())
        {
            var table = (await CatalogReader.ReadAsync(connection, TenantOptions.DefaultSettingName, CancellationToken.None)).Tables.ShouldHaveSingleItem();
            table.TenantColumn.ShouldBe("tenant");
        }

        var plan = await new PolicyInstaller(_owner).Add<PrivateCatalogItem>().ApplyAsync();

        plan.Steps.Select(s => s.ToString()).ShouldBe(["\"public\".\"catalog_items\": shared-rows policy present but SharedRows is off"]);
        plan.OtherThanKeys().ShouldHaveSingleItem().ShouldContain("is nullable and SharedRows is off");
        (await CatalogProbe.PolicyAsync(_database, "catalog_items", "dapper_tenants_shared_rows")).ShouldBeNull();
    }

    [Test]
    public async Task A_hand_edited_shared_rows_policy_is_repaired()
    {
        await _database.ExecuteAsOwnerAsync("ALTER POLICY dapper_tenants_shared_rows ON catalog_items USING (true)");

        var plan = await new PolicyInstaller(_owner).Add<CatalogItem>().ApplyAsync();

        plan.Steps.Select(s => s.Reason).ShouldBe(["shared-rows policy expression differs from the model"]);
        (await new PolicyInstaller(_owner).Add<CatalogItem>().PlanAsync()).IsEmpty.ShouldBeTrue();
    }

    [Rls("catalog_items", SharedRows = true)]
    public sealed class CatalogItem
    {
        public int Id { get; set; }

        public string? Tenant { get; set; }

        public string Name { get; set; } = string.Empty;
    }

    [Rls("catalog_items")]
    public sealed class PrivateCatalogItem
    {
        public int Id { get; set; }

        public string? Tenant { get; set; }
    }
}
