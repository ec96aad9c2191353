using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Policies;

/// <summary>After ApplyAsync, the database keeps each tenant to its own rows, for every supported tenant type.</summary>
/// <remarks>
/// The guard is off: these tests prove what the policies enforce on their own. Reads and writes go through the
/// application login (not superuser, no BYPASSRLS, not the owner); seeding and checking go through the superuser.
/// </remarks>
[Category(Categories.Database)]
public sealed class IsolationTests
{
    private TestDatabase _database = null!;
    private TenantDataSource _tenants = null!;
    private NpgsqlDataSource _app = null!;

    public static IEnumerable<TenantTypeScenario> Scenarios => TenantTypeScenario.All;

    [OneTimeSetUp]
    public async Task CreateTablesAndApplyPolicies()
    {
        _database = await TestServer.CreateDatabaseAsync("isolation");
        await _database.ExecuteAsOwnerAsync(string.Concat(TenantTypeScenario.All.Select(s => s.CreateTable)));
        await using var owner = _database.CreateOwnerDataSource();
        var installer = new PolicyInstaller(owner);
        foreach (var scenario in TenantTypeScenario.All)
        {
            installer.Add(scenario.Model);
        }

        var plan = await installer.ApplyAsync();
        plan.Errors.ShouldBeEmpty();

        // The data source learns the protected tables on its first open, so it is created after the policies.
        _tenants = _database.CreateTenantDataSource(configureOptions: o => o.GuardMode = TenantGuardMode.Off);
        _app = _database.CreateAppDataSource();
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await _tenants.DisposeAsync();
        await _app.DisposeAsync();
        await _database.DisposeAsync();
    }

    [TestCaseSource(nameof(Scenarios))]
    public async Task Tenant_sees_only_its_own_rows(TenantTypeScenario s)
    {
        await _database.ExecuteAsAdminAsync(s.Seed);
        await using var a = await _tenants.OpenAsync(s.TenantA);
        await using var b = await _tenants.OpenAsync(s.TenantB);

        (await a.QueryAsync<int>($"select id from {s.Table} order by id")).ShouldBe([1, 2]);
        (await b.QueryAsync<int>($"select id from {s.Table} order by id")).ShouldBe([3, 4]);
        (await a.QueryAsync<int>($"select id from {s.Table} where id = 3")).ShouldBeEmpty();
    }

    [TestCaseSource(nameof(Scenarios))]
    public async Task Tenant_cannot_insert_a_row_of_another_tenant(TenantTypeScenario s)
    {
        await _database.ExecuteAsAdminAsync(s.Seed);
        await using var a = await _tenants.OpenAsync(s.TenantA);

        var ex = await Should.ThrowAsync<PostgresException>(() =>
            a.ExecuteAsync($"insert into {s.Table} (id, {s.Column}) values (10, @Other::{s.SqlType})", new { Other = s.TenantB }));

        ex.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        (await CountAsAdminAsync(s, "id = 10")).ShouldBe(0);
    }

    [TestCaseSource(nameof(Scenarios))]
    public async Task Tenant_cannot_move_its_row_to_another_tenant(TenantTypeScenario s)
    {
        await _database.ExecuteAsAdminAsync(s.Seed);
        await using var a = await _tenants.OpenAsync(s.TenantA);

        var ex = await Should.ThrowAsync<PostgresException>(() =>
            a.ExecuteAsync($"update {s.Table} set {s.Column} = @Other::{s.SqlType} where id = 1", new { Other = s.TenantB }));

        ex.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        (await CountAsAdminAsync(s, $"id = 1 and {s.Column} = '{s.TenantA}'")).ShouldBe(1);
    }

    [TestCaseSource(nameof(Scenarios))]
    public async Task Tenant_cannot_update_or_delete_rows_of_another_tenant(TenantTypeScenario s)
    {
        await _database.ExecuteAsAdminAsync(s.Seed);
        await using var a = await _tenants.OpenAsync(s.TenantA);

        (await a.ExecuteAsync($"update {s.Table} set note = 'taken' where id = 3")).ShouldBe(0);
        (await a.ExecuteAsync($"delete from {s.Table} where id in (3, 4)")).ShouldBe(0);

        (await CountAsAdminAsync(s, $"id in (3, 4) and {s.Column} = '{s.TenantB}' and note like 'b%'")).ShouldBe(2);
    }

    [TestCaseSource(nameof(Scenarios))]
    public async Task Insert_without_the_tenant_column_is_stamped_with_the_connections_tenant(TenantTypeScenario s)
    {
        await _database.ExecuteAsAdminAsync(s.Seed);
        await using var b = await _tenants.OpenAsync(s.TenantB);

        (await b.ExecuteAsync($"insert into {s.Table} (id, note) values (@Id, 'stamped')", new { Id = 20 })).ShouldBe(1);

        (await CountAsAdminAsync(s, $"id = 20 and {s.Column} = '{s.TenantB}'")).ShouldBe(1);
        (await b.QueryAsync<int>($"select id from {s.Table} order by id")).ShouldBe([3, 4, 20]);
    }

    [TestCaseSource(nameof(Scenarios))]
    public async Task Without_a_tenant_the_app_login_sees_no_rows_and_cannot_insert(TenantTypeScenario s)
    {
        await _database.ExecuteAsAdminAsync(s.Seed);
        await using var plain = await _app.OpenConnectionAsync();
        await using var a = await _tenants.OpenAsync(s.TenantA);

        (await plain.ExecuteScalarAsync<long>($"select count(*) from {s.Table}")).ShouldBe(0);
        (await a.InnerConnection.ExecuteScalarAsync<long>($"select count(*) from {s.Table}")).ShouldBe(0);
        await Should.ThrowAsync<PostgresException>(() => plain.ExecuteAsync($"insert into {s.Table} (id, note) values (30, 'orphan')"));
        (await CountAsAdminAsync(s, "id = 30")).ShouldBe(0);
    }

    [TestCaseSource(nameof(Scenarios))]
    public async Task The_table_owner_is_held_to_the_policy_too_because_it_is_forced(TenantTypeScenario s)
    {
        // Without FORCE the owner would skip the policy: views and SECURITY DEFINER functions it owns would show every tenant.
        await _database.ExecuteAsAdminAsync(s.Seed);
        await using var owner = new NpgsqlConnection(_database.OwnerConnectionString);
        await owner.OpenAsync();
        await owner.ExecuteAsync("select set_config('dapper_tenants.tenant', @tenant, false)", new { tenant = s.TenantA });

        (await owner.QueryAsync<int>($"select id from {s.Table} order by id")).ShouldBe([1, 2]);
        (await owner.ExecuteAsync($"delete from {s.Table} where id in (3, 4)")).ShouldBe(0);
        (await CountAsAdminAsync(s, "id in (3, 4)")).ShouldBe(2);
    }

    private async Task<long> CountAsAdminAsync(TenantTypeScenario s, string where)
    {
        await using var admin = new NpgsqlConnection(_database.AdminConnectionString);
        return await admin.ExecuteScalarAsync<long>($"select count(*) from {s.Table} where {where}");
    }
}
