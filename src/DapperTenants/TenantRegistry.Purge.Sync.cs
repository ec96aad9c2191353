using DapperTenants.Catalog;
using DapperTenants.Registry;

namespace DapperTenants;

/// <content>The synchronous twins of the purge.</content>
public sealed partial class TenantRegistry
{
    /// <summary>
    /// Plans the purge of a tenant: every protected table, with the tenant's rows in it, in an order the foreign keys allow.
    /// Deletes nothing. See <see cref="PlanPurgeAsync"/>.
    /// </summary>
    /// <param name="tenant">The tenant value, compared exactly.</param>
    /// <returns>The plan, for <see cref="Purge"/>.</returns>
    /// <exception cref="ArgumentException">The tenant value is invalid.</exception>
    /// <exception cref="TenantNotFoundException">The registry does not hold the tenant.</exception>
    /// <exception cref="InvalidOperationException">The foreign keys form a cycle that blocks deletes; or a signed table and no signing key.</exception>
    public TenantPurgePlan PlanPurge(string tenant)
    {
        Validate(tenant);
        var info = Find(tenant) ?? throw RegistryMessages.NotRegistered(tenant);
        using var tenants = new TenantDataSource(_ownerDataSource, _options);
        using var connection = tenants.Open(tenant);
        var (_, order) = PurgeTables(connection, tenant);
        return new TenantPurgePlan(tenant, info.State, [.. order.Select(t => new TenantPurgeStep(t.QuotedName, t.TenantColumn, Count(connection, t)))]);
    }

    /// <summary>
    /// Purges a disabled tenant: deletes its rows from every protected table in chunks of <see cref="PurgeChunkSize"/>,
    /// each in its own short transaction, then marks it <see cref="TenantState.Purged"/>. See
    /// <see cref="PurgeAsync(TenantPurgePlan, IProgress{TenantPurgeProgress}?, CancellationToken)"/> for the precondition and the guarantees.
    /// </summary>
    /// <param name="plan">The plan from <see cref="PlanPurge"/>.</param>
    /// <param name="progress">Told after every chunk, on the purge's thread; <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Stops the purge between chunks; the tenant stays <see cref="TenantState.Purging"/>.</param>
    /// <returns>The tenant, purged, and how many rows this run deleted.</returns>
    /// <exception cref="TenantNotFoundException">The registry does not hold the tenant.</exception>
    /// <exception cref="InvalidOperationException">The tenant is active (disable it first); the foreign keys form a cycle; a signed table and no signing key; or rows keep arriving.</exception>
    /// <exception cref="Npgsql.PostgresException">A statement failed: <c>42501</c> for a login that may not change the registry (the app login).</exception>
    public TenantPurgeResult Purge(TenantPurgePlan plan, IProgress<TenantPurgeProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var tenant = plan.Tenant;
        Validate(tenant);
        using var tenants = new TenantDataSource(_ownerDataSource, _options);
        using var connection = tenants.Open(tenant);

        // A cycle or a missing signing key is refused before the tenant is marked purging.
        PurgeTables(connection, tenant);
        using var owner = _ownerDataSource.OpenConnection();
        if (Single(owner, RegistryQueries.StartPurge, tenant) is null)
        {
            return NotPurgeable(Find(owner, tenant), tenant);
        }

        var deleted = PurgePasses(connection, tenant, progress, cancellationToken);
        var finished = Single(owner, RegistryQueries.FinishPurge, tenant) ?? throw RegistryMessages.PurgeInterrupted(tenant, Find(owner, tenant)?.State);
        return new TenantPurgeResult(finished, deleted);
    }

    private long PurgePasses(TenantConnection connection, string tenant, IProgress<TenantPurgeProgress>? progress, CancellationToken cancellationToken)
    {
        long deleted = 0;
        for (var pass = 1; ; pass++)
        {
            var (catalog, order) = PurgeTables(connection, tenant);
            var counts = order.Select(t => Count(connection, t)).ToArray();
            if (counts.Sum() == 0)
            {
                return deleted;
            }

            if (pass > MaxDeletingPasses)
            {
                throw RowsKeepArriving(tenant, order, counts);
            }

            var run = new PurgeRun(tenant, deleted + counts.Sum(), deleted, progress);
            for (var i = 0; i < order.Count; i++)
            {
                deleted = PurgeTable(connection, catalog, order[i], counts[i], run, i + 1, order.Count, cancellationToken);
                run = run with { Deleted = deleted };
            }
        }
    }

    private (LifecycleCatalog Catalog, IReadOnlyList<ProtectedTable> Order) PurgeTables(TenantConnection connection, string tenant)
    {
        var catalog = CatalogReader.ReadLifecycle(connection.InnerConnection, _options.SettingName);
        return (catalog, CheckedOrder(catalog, tenant));
    }

    private static long Count(TenantConnection connection, ProtectedTable table)
    {
        using var command = Command(connection, LifecycleSql.Count(table), connection.Tenant);
        return (long)command.ExecuteScalar()!;
    }

    private long PurgeTable(
        TenantConnection connection, LifecycleCatalog catalog, ProtectedTable table, long planned, PurgeRun run, int step, int steps, CancellationToken cancellationToken)
    {
        var sql = LifecycleSql.DeleteChunk(table, PurgeOrder.SelfReferences(catalog, table));
        long tableDeleted = 0;
        run.Report(table, step, steps, tableDeleted, planned);
        if (planned == 0)
        {
            return run.Deleted;
        }

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var command = Command(connection, sql, connection.Tenant, _purgeChunkSize);
            var rows = command.ExecuteNonQuery();
            if (rows == 0)
            {
                break;
            }

            tableDeleted += rows;
            run.Report(table, step, steps, tableDeleted, planned);
        }

        if (Count(connection, table) is > 0 and var left)
        {
            throw RegistryMessages.Undeletable(connection.Tenant, table.QuotedName, left);
        }

        return run.Deleted + tableDeleted;
    }
}
