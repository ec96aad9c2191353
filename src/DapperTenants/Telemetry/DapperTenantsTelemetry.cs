using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using DapperTenants.Catalog;

namespace DapperTenants.Telemetry;

/// <summary>
/// The library's traces and metrics: one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named
/// <c>DapperTenants</c>, and the log events of <see cref="TenantLog"/>. Every member is cheap when nothing listens.
/// </summary>
/// <remarks>
/// The tenant is a tag of spans (a span belongs to one operation, so it adds no cardinality), but a metric dimension only
/// when <see cref="TenantOptions.IncludeTenantInMetrics"/> is set: every tenant would otherwise be a time series.
/// </remarks>
internal static class DapperTenantsTelemetry
{
    /// <summary>The name of the activity source and of the meter.</summary>
    public const string Name = "DapperTenants";

    /// <summary>The span of one lease: leasing a pooled connection, and on the first open the catalog query.</summary>
    public const string LeaseActivityName = "dapper_tenants.lease";

    /// <summary>The event added to the current span when the guard refuses a statement.</summary>
    public const string GuardRefusalEventName = "dapper_tenants.guard.refusal";

    public const string TenantTag = "tenant.id";
    public const string GuardKindTag = "dapper_tenants.guard.kind";
    public const string CatalogReadTag = "dapper_tenants.catalog.read";
    public const string ErrorTypeTag = "error.type";

    public const string OpensName = "dapper_tenants.connection.opens";
    public const string ContextStatementsName = "dapper_tenants.context.statements";
    public const string GuardRefusalsName = "dapper_tenants.guard.refusals";
    public const string GuardCacheHitsName = "dapper_tenants.guard.cache.hits";
    public const string GuardCacheMissesName = "dapper_tenants.guard.cache.misses";
    public const string AnalysisDurationName = "dapper_tenants.guard.analysis.duration";

    private static readonly string? Version = typeof(DapperTenantsTelemetry).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    public static readonly ActivitySource Source = new(Name, Version);

    public static readonly Meter Meter = new(Name, Version);

    private static readonly Counter<long> Opens = Meter.CreateCounter<long>(
        OpensName, "{open}", "Tenant connections opened: pooled connections leased for one tenant.");

    private static readonly Counter<long> ContextStatements = Meter.CreateCounter<long>(
        ContextStatementsName, "{statement}", "Context statements (set_config of the tenant setting) sent with a caller's statements.");

    private static readonly Counter<long> GuardRefusals = Meter.CreateCounter<long>(
        GuardRefusalsName, "{refusal}", "Statements the guard refused before sending them, by kind of refusal.");

    private static readonly Counter<long> GuardCacheHits = Meter.CreateCounter<long>(
        GuardCacheHitsName, "{lookup}", "Guard analyses found in the per-SQL-text cache.");

    private static readonly Counter<long> GuardCacheMisses = Meter.CreateCounter<long>(
        GuardCacheMissesName, "{lookup}", "Guard analyses not in the per-SQL-text cache, so the text was analyzed.");

    private static readonly Histogram<double> AnalysisDuration = Meter.CreateHistogram<double>(
        AnalysisDurationName, "s", "Time the guard spent analyzing one SQL text (cache misses only).");

    /// <summary>Starts the span of a lease, as a child of the caller's current span; Npgsql's spans during the open nest under it.</summary>
    /// <param name="tenant">The tenant being opened for.</param>
    /// <returns>The span, or <see langword="null"/> when nothing listens.</returns>
    public static Activity? StartLease(string tenant)
    {
        var activity = Source.StartActivity(LeaseActivityName, ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(TenantTag, tenant);
            activity.SetTag("db.system.name", "postgresql");
        }

        return activity;
    }

    /// <summary>Records a lease that succeeded: counts the open and marks the span.</summary>
    public static void LeaseOpened(TenantDataSource source, string tenant, Activity? activity)
    {
        if (Opens.Enabled)
        {
            if (source.Options.IncludeTenantInMetrics)
            {
                Opens.Add(1, new KeyValuePair<string, object?>(TenantTag, tenant));
            }
            else
            {
                Opens.Add(1);
            }
        }

        activity?.SetStatus(ActivityStatusCode.Ok);
    }

    /// <summary>Records a lease that failed: the span gets the error, and a privileged login is logged.</summary>
    public static void LeaseFailed(TenantDataSource source, Activity? activity, Exception exception)
    {
        if (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            activity.SetTag(ErrorTypeTag, exception.GetType().FullName);
            activity.AddException(exception);
        }

        if (exception is UnsafeRoleException unsafeRole)
        {
            TenantLog.PrivilegedLoginRefused(source.Options.ConnectionLogger, unsafeRole);
        }
    }

    /// <summary>Records what the first open (or the first after a refresh) learned from the catalog.</summary>
    public static void CatalogRead(TenantDataSource source, TenantCatalog catalog, Activity? activity)
    {
        activity?.SetTag(CatalogReadTag, true);
        var logger = source.Options.ConnectionLogger;
        TenantLog.CatalogRead(logger, catalog.Role, catalog.Tables.Count);
        if (catalog.IsSuperuser || catalog.BypassesRls)
        {
            TenantLog.PrivilegedLoginAllowed(logger, catalog.Role, catalog.IsSuperuser ? "a superuser" : "a role with BYPASSRLS");
        }
    }

    /// <summary>Records <see cref="TenantDataSource.RefreshCatalog"/>.</summary>
    public static void CatalogRefreshRequested(TenantDataSource source) => TenantLog.CatalogRefreshRequested(source.Options.ConnectionLogger);

    /// <summary>Counts a context statement sent with a caller's statement(s). Call once per context statement put on the wire.</summary>
    /// <param name="source">The data source of the connection.</param>
    /// <param name="tenant">The connection's tenant; a metric dimension only when the options opt in.</param>
    public static void ContextStatementSent(TenantDataSource source, string tenant)
    {
        if (!ContextStatements.Enabled)
        {
            return;
        }

        if (source.Options.IncludeTenantInMetrics)
        {
            ContextStatements.Add(1, new KeyValuePair<string, object?>(TenantTag, tenant));
        }
        else
        {
            ContextStatements.Add(1);
        }
    }

    /// <summary>
    /// Records a guard refusal: counts it by <paramref name="kind"/>, adds an event to the current span and logs a warning
    /// that names the kind, the table and the tenant, never a parameter value or the SQL text.
    /// </summary>
    /// <param name="source">The data source of the connection.</param>
    /// <param name="kind">A short, stable, low-cardinality name of the refusal (for example <c>wrong_tenant_insert</c>, <c>tamper</c>).</param>
    /// <param name="tenant">The connection's tenant.</param>
    /// <param name="table">The protected table concerned, when there is one.</param>
    public static void GuardRefused(TenantDataSource source, string kind, string tenant, string? table)
    {
        if (GuardRefusals.Enabled)
        {
            if (source.Options.IncludeTenantInMetrics)
            {
                GuardRefusals.Add(1, new KeyValuePair<string, object?>(GuardKindTag, kind), new KeyValuePair<string, object?>(TenantTag, tenant));
            }
            else
            {
                GuardRefusals.Add(1, new KeyValuePair<string, object?>(GuardKindTag, kind));
            }
        }

        if (Activity.Current is { IsAllDataRequested: true } current)
        {
            current.AddEvent(new ActivityEvent(GuardRefusalEventName, tags: new ActivityTagsCollection
            {
                [GuardKindTag] = kind,
                [TenantTag] = tenant,
            }));
        }

        TenantLog.GuardRefused(source.Options.GuardLogger, kind, table ?? "(none)", tenant);
    }

    /// <summary>Counts a guard analysis served from the per-SQL-text cache.</summary>
    public static void GuardCacheHit() => GuardCacheHits.Add(1);

    /// <summary>Counts a guard analysis that missed the per-SQL-text cache.</summary>
    public static void GuardCacheMiss() => GuardCacheMisses.Add(1);

    /// <summary>Records the time the guard spent analyzing one SQL text.</summary>
    /// <param name="elapsed">The analysis time, for example from <see cref="Stopwatch.GetElapsedTime(long)"/>.</param>
    public static void AnalysisTime(TimeSpan elapsed) => AnalysisDuration.Record(elapsed.TotalSeconds);
}
