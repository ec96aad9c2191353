using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Policies;

/// <summary>Every partition gets the parent's treatment, at every depth, including partitions attached later.</summary>
[Category(Categories.Database)]
public sealed class PartitionTests
{
    private TestDatabase _database = null!;
    private NpgsqlDataSource _owner = null!;

    [SetUp]
    public async Task CreatePartitionedTable()
    {
        _database = await TestServer.CreateDatabaseAsync("partitions");
        await _database.ExecuteAsOwnerAsync("""
            CREATE TABLE events (id bigint NOT NULL, tenant_id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
            CREATE INDEX ON events (tenant_id);
            CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
            CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY LIST (tenant_id);
            CREATE TABLE events_2025_t1 PARTITION OF events_2025 FOR VALUES IN (1);
            CREATE TABLE events_2025_rest PARTITION OF events_2025 DEFAULT;
            """);
        _owner = _database.CreateOwnerDataSource();
    }

    [TearDown]
    public async Task DropDatabase()
    {
        await _owner.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Test]
    public async Task Every_partition_at_every_depth_gets_rls_the_policy_and_the_default()
    {
        var plan = await Installer().ApplyAsync();

        plan.Steps.Select(s => s.Target).Distinct().ShouldBe(
            ["\"public\".\"events\"", "\"public\".\"events_2024\"", "\"public\".\"events_2025\"", "\"public\".\"events_2025_rest\"", "\"public\".\"events_2025_t1\""]);
        foreach (var table in new[] { "events", "events_2024", "events_2025", "events_2025_t1", "events_2025_rest" })
        {
            (await CatalogProbe.RlsAsync(_database, table)).ShouldBe((true, true), table);
            (await CatalogProbe.PolicyAsync(_database, table)).ShouldNotBeNull(table).Using.ShouldNotBeNull().ShouldContain("::bigint");
            (await CatalogProbe.DefaultAsync(_database, table, "tenant_id")).ShouldNotBeNull(table);
        }

        (await Installer().PlanAsync()).IsEmpty.ShouldBeTrue();
    }

    [Test]
    public async Task A_partition_attached_later_is_planned_and_then_isolated_when_queried_directly()
    {
        await Installer().ApplyAsync();
        await _database.ExecuteAsOwnerAsync("""
            CREATE TABLE events_2026 (id bigint NOT NULL, tenant_id bigint NOT NULL, at date NOT NULL);
            ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
            """);

        var plan = await Installer().PlanAsync();
        await Installer().ApplyAsync();

        plan.Steps.Select(s => s.ToString()).ShouldBe([
            "\"public\".\"events_2026\": RLS not enabled", "\"public\".\"events_2026\": RLS not forced",
            "\"public\".\"events_2026\": policy missing", "\"public\".\"events_2026\": default missing"]);
        await _database.ExecuteAsAdminAsync("INSERT INTO events VALUES (1, 1, '2026-03-01'), (2, 2, '2026-03-01'), (3, 1, '2024-03-01')");
        await using var tenants = _database.CreateTenantDataSource(configureOptions: o => o.GuardMode = TenantGuardMode.Off);
        await using var one = await tenants.OpenAsync("1");
        (await one.QueryAsync<long>("select id from events_2026 order by id")).ShouldBe([1L]);
        (await one.QueryAsync<long>("select id from events order by id")).ShouldBe([1L, 3L]);
        (await one.ExecuteAsync("insert into events_2026 (id, at) values (4, '2026-04-01')")).ShouldBe(1);
        await using var admin = new NpgsqlConnection(_database.AdminConnectionString);
        (await admin.ExecuteScalarAsync<long>("select tenant_id from events_2026 where id = 4")).ShouldBe(1L);
    }

    private PolicyInstaller Installer() => new PolicyInstaller(_owner).Add<TenantEvent>();

    [Rls("events")]
    public sealed class TenantEvent
    {
        public long Id { get; set; }

        public long TenantId { get; set; }

        public DateOnly At { get; set; }
    }
}
