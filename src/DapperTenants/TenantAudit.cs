using DapperTenants.Audit;
using DapperTenants.Catalog;
using Npgsql;

namespace DapperTenants;

/// <summary>
/// Inspects a live database for tenant-isolation problems and reports each with a stable code, a severity, why it
/// matters and how to fix it: the engine of <c>dapper-tenants audit</c>, for tests, health checks and tools.
/// </summary>
/// <remarks>
/// <para>
/// It reads the catalog only (two round trips; no table data, nothing changed), so any login that may connect can run
/// it; the tables' owner or a superuser sees the most. It classifies tables exactly as the data source's guard and
/// <see cref="PolicyInstaller"/> do: a table whose policies compare a column with the tenant setting is a tenant table,
/// whatever the column's name; so is a table with one of <see cref="TenantAuditOptions.TenantColumns"/>.
/// </para>
/// <para>A reusable, thread-safe instance: each run opens its own connection from the data source.</para>
/// </remarks>
public sealed class TenantAudit
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly TenantAuditOptions _options;

    /// <summary>Creates an audit that connects through <paramref name="dataSource"/>.</summary>
    /// <param name="dataSource">A data source for the database to audit. The caller keeps ownership of it.</param>
    /// <param name="options">What to check; <see langword="null"/> for the defaults. Copied: later changes have no effect.</param>
    /// <exception cref="ArgumentException">An option is invalid (a setting name, an empty tenant column, an unknown code to ignore).</exception>
    public TenantAudit(NpgsqlDataSource dataSource, TenantAuditOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _options = (options ?? new TenantAuditOptions()).Validated(nameof(options));
    }

    /// <summary>Runs the audit.</summary>
    /// <returns>The report; <see cref="AuditReport.HasErrors"/> when isolation is broken somewhere.</returns>
    public AuditReport Run()
    {
        _options.Progress?.Report(ReadingTables);
        using var connection = _dataSource.OpenConnection();
        var catalog = CatalogReader.ReadForAudit(connection, Request(), AppRole(), _options.Progress);
        return Report(catalog);
    }

    /// <summary>Runs the audit.</summary>
    /// <param name="cancellationToken">Cancels the catalog queries.</param>
    /// <returns>The report; <see cref="AuditReport.HasErrors"/> when isolation is broken somewhere.</returns>
    public async Task<AuditReport> RunAsync(CancellationToken cancellationToken = default)
    {
        _options.Progress?.Report(ReadingTables);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var catalog = await CatalogReader.ReadForAuditAsync(connection, Request(), AppRole(), _options.Progress, cancellationToken).ConfigureAwait(false);
            return Report(catalog);
        }
    }

    private CatalogRequest Request() => new(_options.SettingName)
    {
        TenantColumnHints = _options.TenantColumns,
        Details = true,
        CommandTimeout = _options.CommandTimeout is { } timeout ? (int)Math.Ceiling(timeout.TotalSeconds) : null,
    };

    private string? AppRole() => _options.AppRole ?? Pool()?.User;

    private (PoolSettings Settings, string? User)? Pool()
    {
        if (_options.AppConnectionString is not { } connectionString)
        {
            return null;
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return (new PoolSettings(builder.Pooling, builder.NoResetOnClose, builder.Multiplexing), builder.Username);
    }

    private const string ReadingTables = "audit 1/3: reading the tables, their policies and the app role";

    private AuditReport Report(AuditCatalog catalog)
    {
        _options.Progress?.Report(string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"audit 3/3: judging {catalog.Tables.Tables.Count:N0} tenant tables, {catalog.Views.Select(v => v.Name).Distinct().Count():N0} views, {catalog.Functions.Count:N0} functions"));
        var today = DateOnly.FromDateTime(_options.TimeProvider.GetUtcNow().UtcDateTime);
        var findings = AuditRules.Evaluate(new AuditInput(catalog, _options.TenantColumns, today, Pool()?.Settings))
            .Where(f => !_options.IgnoredCodes.Contains(f.Code))
            .ToList();
        var tables = catalog.Tables.Tables.Select(t => new AuditTable(
            t.QuotedName, t.Schema, t.Table, t.TenantColumn, t.RowSecurity, t.ForceRowSecurity, t.IsProtected, (AuditPolicyShape)t.Shape,
            t.SharedRows, t.IsPartition)).ToList();
        return new AuditReport(
            catalog.Database, catalog.ServerVersion, catalog.ServerVersionNum, catalog.AppRole?.Name, _options.TenantColumns,
            _options.IgnoredCodes, tables, findings);
    }
}
