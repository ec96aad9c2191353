using Npgsql;

namespace DapperTenants.Cli.Audit;

/// <summary>Runs the core's <see cref="TenantAudit"/> against a connection string, as the <c>audit</c> command and the demo do.</summary>
internal static class Auditor
{
    /// <summary>The column names that mark a tenant table when <c>--tenant-column</c> is not given.</summary>
    public static IReadOnlyList<string> DefaultTenantColumns => TenantAuditOptions.DefaultTenantColumns;

    /// <summary>How long each catalog read may take when the connection string sets no <c>Command Timeout</c>.</summary>
    public static TimeSpan DefaultCommandTimeout => TenantAuditOptions.DefaultCommandTimeout;

    public static Task<AuditRun> RunAsync(
        string connectionString,
        string? appRole,
        IReadOnlyList<string> tenantColumns,
        IReadOnlyCollection<string> ignoredCodes,
        DateOnly today,
        CancellationToken cancellationToken) =>
        RunAsync(connectionString, new TenantAuditOptions
        {
            AppRole = appRole,
            TenantColumns = tenantColumns,
            IgnoredCodes = ignoredCodes,
            TimeProvider = new FixedDay(today),
        }, cancellationToken);

    public static async Task<AuditRun> RunAsync(string connectionString, TenantAuditOptions options, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };

        // A Command Timeout the user wrote wins; otherwise the audit's own, longer default (a large catalog outlasts Npgsql's 30 s).
        if (builder.ContainsKey("Command Timeout"))
        {
            options.CommandTimeout = null;
        }
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "dapper-tenants audit";
        }

        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        await using (dataSource.ConfigureAwait(false))
        {
            var report = await new TenantAudit(dataSource, options).RunAsync(cancellationToken).ConfigureAwait(false);
            return new AuditRun(report);
        }
    }

    /// <summary>A clock stopped at the start of one day (UTC), for the end-of-life check.</summary>
    private sealed class FixedDay(DateOnly day) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
    }
}
