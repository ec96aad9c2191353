using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Lifecycle;

/// <summary>
/// <see cref="TenantRegistry.PlanPurgeAsync"/> and <see cref="TenantRegistry.PurgeAsync"/> on five protected tables with
/// blocking foreign keys, a self-referencing tree and shared rows, unsigned and signed: each test purges its own tenant
/// and checks every other tenant's counts against a snapshot taken as a superuser.
/// </summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync, false)]
[TestFixture(SyncOrAsync.Async, false)]
[TestFixture(SyncOrAsync.Sync, true)]
[TestFixture(SyncOrAsync.Async, true)]
public class PurgeTests(SyncOrAsync mode, bool useSignedContext)
{
    private LifecycleDatabase _db = null!;

    private TenantRegistry Registry => _db.Registry;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await LifecycleDatabase.CreateAsync($"purge_{mode.ToString().ToLowerInvariant()}_{(useSignedContext ? "signed" : "plain")}", useSignedContext);
        await _db.SeedAsync("globex", 5);
        await _db.SeedAsync("initech", 3);
    }

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    private bool Sync => mode == SyncOrAsync.Sync;

    private async Task<TenantPurgePlan> PlanAsync(TenantRegistry registry, string tenant) =>
        Sync ? registry.PlanPurge(tenant) : await registry.PlanPurgeAsync(tenant);

    private async Task<TenantPurgeResult> PurgeAsync(TenantRegistry registry, TenantPurgePlan plan, IProgress<TenantPurgeProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Sync ? registry.Purge(plan, progress, cancellationToken) : await registry.PurgeAsync(plan, progress, cancellationToken);

    private async Task<string> DisabledTenantAsync(string tenant, int n)
    {
        await _db.SeedAsync(tenant, n);
        await Registry.DisableAsync(tenant, "leaving");
        return tenant;
    }

    private static Dictionary<string, long> Without(Dictionary<string, long> counts, string tenant) =>
        counts.Where(c => !c.Key.EndsWith(":" + tenant, StringComparison.Ordinal)).ToDictionary();

    private static long Of(Dictionary<string, long> counts, string tenant) =>
        counts.Where(c => c.Key.EndsWith(":" + tenant, StringComparison.Ordinal)).Sum(c => c.Value);

    [Test]
    public async Task A_plan_counts_the_tenants_rows_per_table_referencing_tables_first_and_deletes_nothing()
    {
        var tenant = await DisabledTenantAsync("planned", 4);
        var before = await _db.CountsAsync();

        var plan = await PlanAsync(Registry, tenant);

        plan.Tenant.ShouldBe(tenant);
        plan.State.ShouldBe(TenantState.Disabled);
        plan.Steps.Select(s => s.Table).ShouldBe(["public.lc_categories", "public.lc_docs", "public.lc_order_lines", "public.lc_orders", "public.lc_customers"]);
        plan.Steps.Select(s => s.Rows).ShouldBe([8L, 4L, 48L, 16L, 4L]);
        plan.TotalRows.ShouldBe(80);
        plan.Steps[0].TenantColumn.ShouldBe("tenant");
        (await _db.CountsAsync()).ShouldBe(before, "planning deletes nothing");
        plan.ToString().ShouldStartWith("Purge of tenant 'planned' (disabled): 80 rows in 5 tables" + Environment.NewLine + "  1. public.lc_categories: 8 rows");
    }

    [Test]
    public async Task A_purge_leaves_no_row_of_the_tenant_and_every_other_tenants_rows_as_they_were()
    {
        var tenant = await DisabledTenantAsync("leaving", 6);
        var before = await _db.CountsAsync();
        Of(before, tenant).ShouldBe(6 + 24 + 72 + 12 + 6, "the control");
        Registry.PurgeChunkSize = 7;
        var reports = new List<TenantPurgeProgress>();

        var result = await PurgeAsync(Registry, await PlanAsync(Registry, tenant), new SyncProgress(reports.Add));

        result.RowsDeleted.ShouldBe(120);
        result.Tenant.State.ShouldBe(TenantState.Purged);
        var after = await _db.CountsAsync();
        Of(after, tenant).ShouldBe(0);
        after.ShouldBe(Without(before, tenant), "other tenants and shared rows unchanged");
        (await Registry.FindAsync(tenant))!.State.ShouldBe(TenantState.Purged);
        reports.Count.ShouldBeGreaterThan(120 / 7, "a report per chunk");
        reports.Max(r => r.TableRowsDeleted).ShouldBe(72);
        reports[^1].RowsDeleted.ShouldBe(120);
        reports.ShouldAllBe(r => r.RowsPlanned == 120 && r.Tenant == tenant);
    }

    [Test]
    public async Task A_cancelled_purge_leaves_the_tenant_purging_refused_by_strict_mode_and_running_it_again_finishes_it()
    {
        var tenant = await DisabledTenantAsync("resumed", 5);
        var before = await _db.CountsAsync();
        Registry.PurgeChunkSize = 4;
        using var cancel = new CancellationTokenSource();
        var chunks = 0;
        long deletedWhenCancelled = 0;
        var progress = new SyncProgress(p =>
        {
            if (p.TableRowsDeleted > 0 && ++chunks == 3)
            {
                deletedWhenCancelled = p.RowsDeleted;
                cancel.Cancel();
            }
        });

        await Should.ThrowAsync<OperationCanceledException>(async () => await PurgeAsync(Registry, await PlanAsync(Registry, tenant), progress, cancel.Token));

        var half = Of(await _db.CountsAsync(), tenant);
        deletedWhenCancelled.ShouldBeInRange(3, 12, "three chunks of at most 4 (the category tree goes leaves first)");
        half.ShouldBe(Of(before, tenant) - deletedWhenCancelled, "the three chunks went, the rest stayed");
        (await Registry.FindAsync(tenant))!.State.ShouldBe(TenantState.Purging);
        await using (var strict = _db.Strict())
        {
            var refused = await Should.ThrowAsync<TenantNotFoundException>(async () => await strict.OpenAsync(tenant));
            refused.Message.ShouldBe($"Tenant '{tenant}' is being purged (its purge started and has not finished), so no connection was opened for it. "
                + $"Finish the purge as the tables' owner with TenantRegistry.PurgeAsync(await registry.PlanPurgeAsync(\"{tenant}\")).");
        }

        var enable = await Should.ThrowAsync<InvalidOperationException>(() => Registry.EnableAsync(tenant));
        enable.Message.ShouldStartWith($"Tenant '{tenant}' is being purged: its purge started and has not finished, so it cannot be enabled.");

        var resumed = await PlanAsync(Registry, tenant);
        resumed.State.ShouldBe(TenantState.Purging);
        resumed.TotalRows.ShouldBe(half);
        var result = await PurgeAsync(Registry, resumed);

        result.RowsDeleted.ShouldBe(half);
        Of(await _db.CountsAsync(), tenant).ShouldBe(0);
        Without(await _db.CountsAsync(), tenant).ShouldBe(Without(before, tenant));
        (await Registry.FindAsync(tenant))!.State.ShouldBe(TenantState.Purged);
        (await PurgeAsync(Registry, resumed)).RowsDeleted.ShouldBe(0, "a purged tenant has nothing left");
    }

    [Test]
    public async Task Purging_an_active_tenant_is_refused_and_deletes_nothing()
    {
        await _db.SeedAsync("still_active", 2);
        var before = await _db.CountsAsync();
        var plan = await PlanAsync(Registry, "still_active");

        var refused = await Should.ThrowAsync<InvalidOperationException>(() => PurgeAsync(Registry, plan));

        refused.Message.ShouldBe("Tenant 'still_active' is active: only a disabled tenant can be purged, so nothing was deleted. "
            + "Disable it first with TenantRegistry.DisableAsync(\"still_active\", reason), wait for TenantOptions.RegistryRefreshInterval so that no new connection opens for it, then purge.");
        (await _db.CountsAsync()).ShouldBe(before);
        (await Registry.FindAsync("still_active"))!.State.ShouldBe(TenantState.Active);
    }

    [Test]
    public async Task Planning_the_purge_of_an_unknown_tenant_names_it()
    {
        var unknown = await Should.ThrowAsync<TenantNotFoundException>(() => PlanAsync(Registry, "nobody"));
        unknown.Message.ShouldStartWith("Tenant 'nobody' is not in the tenant registry.");
    }

    [Test]
    public async Task The_app_login_cannot_purge()
    {
        var tenant = await DisabledTenantAsync("app_tries", 2);
        var before = await _db.CountsAsync();
        await using var app = _db.Database.CreateAppDataSource();
        var appRegistry = new TenantRegistry(app, _db.Options());
        var plan = await PlanAsync(appRegistry, tenant);
        plan.TotalRows.ShouldBe(Of(before, tenant), "the app login may count the tenant's rows, as it may read them");

        var denied = await Should.ThrowAsync<PostgresException>(() => PurgeAsync(appRegistry, plan));

        denied.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        (await _db.CountsAsync()).ShouldBe(before);
        (await Registry.FindAsync(tenant))!.State.ShouldBe(TenantState.Disabled);
    }

    [Test]
    public async Task A_registry_without_the_signing_key_refuses_to_plan_on_signed_tables()
    {
        var tenant = await DisabledTenantAsync("keyless", 1);
        var keyless = new TenantRegistry(_db.Owner);
        if (!useSignedContext)
        {
            (await PlanAsync(keyless, tenant)).TotalRows.ShouldBe(20, "no key is needed without the signed context");
            return;
        }

        var refused = await Should.ThrowAsync<InvalidOperationException>(() => PlanAsync(keyless, tenant));
        refused.Message.ShouldBe("Table public.lc_categories is protected by the signed context, but this TenantRegistry has no TenantOptions.SigningKey, "
            + "so it could not see tenant 'keyless''s rows (it would find none and delete none). "
            + "Build the TenantRegistry with the same TenantOptions as the application's TenantDataSource (SigningKey and SigningKeyId).");

        var purge = await Should.ThrowAsync<InvalidOperationException>(async () => await PurgeAsync(keyless, await PlanAsync(Registry, tenant)));
        purge.Message.ShouldBe(refused.Message);
        (await Registry.FindAsync(tenant))!.State.ShouldBe(TenantState.Disabled, "refused before the tenant was marked purging");
        Of(await _db.CountsAsync(), tenant).ShouldBe(20);
    }

    [Test]
    public async Task A_tenant_value_made_of_sql_purges_that_tenant_only()
    {
        // Bound, never interpolated: the value is compared as a whole, in the deletes, the counts and the export's COPY.
        const string tenant = "x' or '1'='1";
        await _db.SeedAsync(tenant, 2);
        await Registry.DisableAsync(tenant, "attack");
        var before = await _db.CountsAsync();

        (await PurgeAsync(Registry, await PlanAsync(Registry, tenant))).RowsDeleted.ShouldBe(Of(before, tenant));

        Of(await _db.CountsAsync(), tenant).ShouldBe(0);
        (await _db.CountsAsync()).ShouldBe(Without(before, tenant));
    }

    [Test]
    public void The_chunk_size_is_bounded()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => Registry.PurgeChunkSize = 0);
        Should.Throw<ArgumentOutOfRangeException>(() => Registry.PurgeChunkSize = TenantRegistry.MaxPurgeChunkSize + 1);
        new TenantRegistry(_db.Owner).PurgeChunkSize.ShouldBe(TenantRegistry.DefaultPurgeChunkSize);
    }

    [Test]
    public async Task A_purge_whose_server_connections_are_killed_midway_is_finished_by_a_new_registry_after_the_crash()
    {
        var tenant = await DisabledTenantAsync("crashed", 5);
        var before = await _db.CountsAsync();
        var application = $"purge-crash-{mode}-{useSignedContext}".ToLowerInvariant();
        await using var crashing = _db.Database.CreateOwnerDataSource(b => b.ApplicationName = application);
        var registry = new TenantRegistry(crashing, _db.Options()) { PurgeChunkSize = 4 };
        var chunks = 0;
        var killed = 0;
        var progress = new SyncProgress(p =>
        {
            if (p.TableRowsDeleted > 0 && ++chunks == 3)
            {
                // The process "crashes": every server connection of its pool is terminated between two chunks.
                using var admin = new NpgsqlConnection(_db.Database.AdminConnectionString);
                admin.Open();
                using var kill = new NpgsqlCommand("select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity where application_name = @a) k", admin);
                kill.Parameters.AddWithValue("a", application);
                killed = Convert.ToInt32(kill.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            }
        });

        // Npgsql reports the terminated backend as NpgsqlException (PostgresException 57P01 when the server's notice arrives first).
        var crash = await Should.ThrowAsync<NpgsqlException>(async () => await PurgeAsync(registry, await PlanAsync(registry, tenant), progress));

        if (crash is PostgresException postgres)
        {
            postgres.SqlState.ShouldBe(PostgresErrorCodes.AdminShutdown, crash.ToString());
        }
        killed.ShouldBeGreaterThan(0);
        var half = Of(await _db.CountsAsync(), tenant);
        half.ShouldBeGreaterThan(0, "the crash left rows of the tenant");
        half.ShouldBeLessThan(Of(before, tenant), "the chunks before the crash were committed");
        (await Registry.FindAsync(tenant))!.State.ShouldBe(TenantState.Purging);

        // After the restart: a new pool, a new registry, the same call.
        await using var restarted = _db.Database.CreateOwnerDataSource();
        var again = new TenantRegistry(restarted, _db.Options());
        var result = await PurgeAsync(again, await PlanAsync(again, tenant));

        result.RowsDeleted.ShouldBe(half);
        Of(await _db.CountsAsync(), tenant).ShouldBe(0);
        Without(await _db.CountsAsync(), tenant).ShouldBe(Without(before, tenant));
        (await Registry.FindAsync(tenant))!.State.ShouldBe(TenantState.Purged);
    }

    /// <summary>Reports on the purge's own thread (unlike <see cref="Progress{T}"/>), so a test can cancel between two chunks.</summary>
    private sealed class SyncProgress(Action<TenantPurgeProgress> report) : IProgress<TenantPurgeProgress>
    {
        public void Report(TenantPurgeProgress value) => report(value);
    }
}
