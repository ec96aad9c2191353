using Npgsql;

namespace DapperTenants.Cli.Audit;

/// <summary>Runs an audit against a live database: read the catalog, apply the rules, drop the ignored codes.</summary>
internal static class Auditor
{
    /// <summary>The column names that mark a tenant table when <c>--tenant-column</c> is not given.</summary>
    public static readonly IReadOnlyList<string> DefaultTenantColumns = ["tenant", "tenant_id"];

    public static async Task<AuditReport> RunAsync(
        string connectionString,
        string? appRole,
        IReadOnlyList<string> tenantColumns,
        IReadOnlyCollection<string> ignoredCodes,
        DateOnly today,
        CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "dapper-tenants audit";
        }

        var connection = new NpgsqlConnection(builder.ConnectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var snapshot = await AuditCatalogReader.ReadAsync(connection, tenantColumns, appRole, cancellationToken).ConfigureAwait(false);
            var findings = AuditRules.Evaluate(snapshot, today).Where(f => !ignoredCodes.Contains(f.Code)).ToList();
            return new AuditReport(snapshot, findings, ignoredCodes);
        }
    }
}
