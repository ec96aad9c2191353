using DapperTenants.Catalog;
using DapperTenants.Registry;
using Npgsql;
using NpgsqlTypes;

namespace DapperTenants;

/// <content>Purging a tenant: the plan, and the chunked, resumable deletes (the synchronous twins are in TenantRegistry.Purge.Sync.cs).</content>
public sealed partial class TenantRegistry
{
    /// <summary>The default of <see cref="PurgeChunkSize"/>: 1,000 rows.</summary>
    public const int DefaultPurgeChunkSize = 1000;

    /// <summary>The largest <see cref="PurgeChunkSize"/>: 1,000,000 rows.</summary>
    public const int MaxPurgeChunkSize = 1_000_000;

    // A purge counts again after deleting; rows that keep arriving (a connection opened before the tenant was disabled) get this many passes.
    private const int MaxDeletingPasses = 3;

    private int _purgeChunkSize = DefaultPurgeChunkSize;

    /// <summary>How many rows one delete of a purge removes, each in its own short transaction.</summary>
    /// <value>Defaults to <see cref="DefaultPurgeChunkSize"/>; between 1 and <see cref="MaxPurgeChunkSize"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range.</exception>
    public int PurgeChunkSize
    {
        get => _purgeChunkSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxPurgeChunkSize);
            _purgeChunkSize = value;
        }
    }

    /// <summary>
    /// Plans the purge of a tenant: every protected table, with the tenant's rows in it, in an order the foreign keys allow.
    /// Deletes nothing.
    /// </summary>
    /// <param name="tenant">The tenant value, compared exactly.</param>
    /// <param name="cancellationToken">Cancels the statements.</param>
    /// <returns>The plan, for <see cref="PurgeAsync(TenantPurgePlan, IProgress{TenantPurgeProgress}?, CancellationToken)"/>.</returns>
    /// <exception cref="ArgumentException">The tenant value is invalid.</exception>
    /// <exception cref="TenantNotFoundException">The registry does not hold the tenant.</exception>
    /// <exception cref="InvalidOperationException">
    /// The foreign keys between protected tables form a cycle that blocks deletes; or a table is protected by the signed
    /// context and this registry was built without the signing key.
    /// </exception>
    /// <remarks>
    /// Rows are counted as the purge deletes them: by the owner's login, through the tenant's own context (the signed token
    /// when <see cref="TenantOptions.SigningKey"/> is set), and with an explicit predicate on the tenant column, so a table
    /// whose policies the owner skips (no FORCE) or that shows shared rows is counted right too.
    /// </remarks>
    public async Task<TenantPurgePlan> PlanPurgeAsync(string tenant, CancellationToken cancellationToken = default)
    {
        Validate(tenant);
        var info = await FindAsync(tenant, cancellationToken).ConfigureAwait(false) ?? throw RegistryMessages.NotRegistered(tenant);
        var tenants = new TenantDataSource(_ownerDataSource, _options);
        await using (tenants.ConfigureAwait(false))
        {
            var connection = await tenants.OpenAsync(tenant, cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var (_, order) = await PurgeTablesAsync(connection, tenant, cancellationToken).ConfigureAwait(false);
                var steps = new List<TenantPurgeStep>(order.Count);
                foreach (var table in order)
                {
                    steps.Add(new TenantPurgeStep(table.QuotedName, table.TenantColumn, await CountAsync(connection, table, cancellationToken).ConfigureAwait(false)));
                }

                return new TenantPurgePlan(tenant, info.State, steps);
            }
        }
    }

    /// <summary>
    /// Purges a disabled tenant: deletes its rows from every protected table in chunks of <see cref="PurgeChunkSize"/>,
    /// each in its own short transaction, then marks it <see cref="TenantState.Purged"/>.
    /// </summary>
    /// <param name="plan">The plan from <see cref="PlanPurgeAsync"/>: which tenant, and the counts progress is measured against.</param>
    /// <param name="progress">Told after every chunk (synchronously, on the purge's thread); <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Stops the purge between chunks or in a statement; the tenant stays <see cref="TenantState.Purging"/>.</param>
    /// <returns>The tenant, purged, and how many rows this run deleted.</returns>
    /// <exception cref="TenantNotFoundException">The registry does not hold the tenant.</exception>
    /// <exception cref="InvalidOperationException">
    /// The tenant is active (disable it first); the foreign keys form a cycle; a signed table and no signing key; or rows
    /// of the tenant keep arriving or cannot be deleted.
    /// </exception>
    /// <exception cref="PostgresException">A statement failed: for instance <c>42501</c> for a login that may not change the registry (the app login).</exception>
    /// <remarks>
    /// <para>
    /// Precondition: the tenant is <see cref="TenantState.Disabled"/> (wait <see cref="TenantOptions.RegistryRefreshInterval"/>
    /// after disabling, so no new connection opens for it), or <see cref="TenantState.Purging"/> from a purge that did not
    /// finish. The purge first marks it purging, durably: strict data sources refuse it with a message that says so, and
    /// it cannot be enabled. Cancelled or crashed, the purge is resumed by running it again with a new plan (or the same one);
    /// a purged tenant returns at once with nothing deleted.
    /// </para>
    /// <para>
    /// The tables and their order are read from the catalog when the purge runs (a table protected since the plan is purged
    /// too), then counted again after deleting; the tenant is marked purged only when no protected table holds a row of it.
    /// A table outside the protected ones that references the tenant's rows through a blocking foreign key makes the delete
    /// fail with PostgreSQL's <c>23503</c>; delete or detach those rows first.
    /// </para>
    /// <para>
    /// Deletes run as the owner's login, through the tenant's own context (the signed token when the options carry the
    /// key), with an explicit predicate on the tenant column: FORCEd policies hold the owner to the tenant's rows, and the
    /// predicate keeps shared rows and unforced tables right.
    /// </para>
    /// </remarks>
    public async Task<TenantPurgeResult> PurgeAsync(
        TenantPurgePlan plan, IProgress<TenantPurgeProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var tenant = plan.Tenant;
        Validate(tenant);
        var tenants = new TenantDataSource(_ownerDataSource, _options);
        await using (tenants.ConfigureAwait(false))
        {
            var connection = await tenants.OpenAsync(tenant, cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                // A cycle or a missing signing key is refused before the tenant is marked purging.
                await PurgeTablesAsync(connection, tenant, cancellationToken).ConfigureAwait(false);
                var owner = await _ownerDataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using (owner.ConfigureAwait(false))
                {
                    if (await SingleAsync(owner, RegistryQueries.StartPurge, cancellationToken, tenant).ConfigureAwait(false) is null)
                    {
                        return NotPurgeable(await FindAsync(owner, tenant, cancellationToken).ConfigureAwait(false), tenant);
                    }

                    var deleted = await PurgePassesAsync(connection, tenant, progress, cancellationToken).ConfigureAwait(false);
                    var finished = await SingleAsync(owner, RegistryQueries.FinishPurge, cancellationToken, tenant).ConfigureAwait(false)
                        ?? throw RegistryMessages.PurgeInterrupted(tenant, (await FindAsync(owner, tenant, cancellationToken).ConfigureAwait(false))?.State);
                    return new TenantPurgeResult(finished, deleted);
                }
            }
        }
    }

    /// <summary>Deletes, then counts again, until a count finds no row of the tenant (at most <see cref="MaxDeletingPasses"/> passes that delete).</summary>
    private async Task<long> PurgePassesAsync(TenantConnection connection, string tenant, IProgress<TenantPurgeProgress>? progress, CancellationToken cancellationToken)
    {
        long deleted = 0;
        for (var pass = 1; ; pass++)
        {
            var (catalog, order) = await PurgeTablesAsync(connection, tenant, cancellationToken).ConfigureAwait(false);
            var counts = new long[order.Count];
            for (var i = 0; i < order.Count; i++)
            {
                counts[i] = await CountAsync(connection, order[i], cancellationToken).ConfigureAwait(false);
            }

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
                deleted = await PurgeTableAsync(connection, catalog, order[i], counts[i], run, i + 1, order.Count, cancellationToken).ConfigureAwait(false);
                run = run with { Deleted = deleted };
            }
        }
    }

    private async Task<(LifecycleCatalog Catalog, IReadOnlyList<ProtectedTable> Order)> PurgeTablesAsync(
        TenantConnection connection, string tenant, CancellationToken cancellationToken)
    {
        var catalog = await CatalogReader.ReadLifecycleAsync(connection.InnerConnection, _options.SettingName, cancellationToken).ConfigureAwait(false);
        return (catalog, CheckedOrder(catalog, tenant));
    }

    private IReadOnlyList<ProtectedTable> CheckedOrder(LifecycleCatalog catalog, string tenant)
    {
        if (_options.SigningKey is null && catalog.Tables.FirstOrDefault(t => t.Shape == TenantPolicyShape.Signed) is { } signed)
        {
            throw RegistryMessages.SignedWithoutKey(tenant, signed.QuotedName);
        }

        return PurgeOrder.Of(catalog);
    }

    private static async Task<long> CountAsync(TenantConnection connection, ProtectedTable table, CancellationToken cancellationToken)
    {
        using var command = Command(connection, LifecycleSql.Count(table), connection.Tenant);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private async Task<long> PurgeTableAsync(
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
            var rows = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            if (rows == 0)
            {
                break;
            }

            tableDeleted += rows;
            run.Report(table, step, steps, tableDeleted, planned);
        }

        if (await CountAsync(connection, table, cancellationToken).ConfigureAwait(false) is > 0 and var left)
        {
            throw RegistryMessages.Undeletable(connection.Tenant, table.QuotedName, left);
        }

        return run.Deleted + tableDeleted;
    }

    /// <summary>A statement of the purge, sent through the tenant's connection: the tenant's context travels with it, in its own transaction.</summary>
    private static System.Data.Common.DbCommand Command(TenantConnection connection, string sql, string tenant, int? limit = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.Add(new NpgsqlParameter("tenant", NpgsqlDbType.Text) { Value = tenant });
        if (limit is { } n)
        {
            command.Parameters.Add(new NpgsqlParameter("limit", NpgsqlDbType.Integer) { Value = n });
        }

        return command;
    }

    /// <summary>Why the purge could not start: unknown, active, or already purged (then there is nothing to do).</summary>
    private static TenantPurgeResult NotPurgeable(TenantInfo? current, string tenant) => current switch
    {
        null => throw RegistryMessages.NotRegistered(tenant),
        { State: TenantState.Purged } => new TenantPurgeResult(current, 0),
        _ => throw RegistryMessages.NotDisabled(tenant),
    };

    private static InvalidOperationException RowsKeepArriving(string tenant, IReadOnlyList<ProtectedTable> order, long[] counts) =>
        RegistryMessages.RowsKeepArriving(tenant, MaxDeletingPasses, string.Join(", ", order.Select((t, i) => (t, i)).Where(x => counts[x.i] > 0).Select(x => $"{x.t.QuotedName} ({counts[x.i]})")));

    /// <summary>The running totals of one pass, and where they are reported.</summary>
    private sealed record PurgeRun(string Tenant, long Planned, long Deleted, IProgress<TenantPurgeProgress>? Progress)
    {
        public void Report(ProtectedTable table, int step, int steps, long tableDeleted, long tablePlanned) =>
            Progress?.Report(new TenantPurgeProgress(Tenant, table.QuotedName, step, steps, tableDeleted, tablePlanned, Deleted + tableDeleted, Planned));
    }
}
