namespace DapperTenants;

/// <summary>The result of a <see cref="TenantAudit"/>: what was audited, the tenant tables as classified, and the findings.</summary>
public sealed class AuditReport
{
    internal AuditReport(
        string database, string serverVersion, int serverVersionNum, string? appRole, IReadOnlyList<string> tenantColumns,
        IReadOnlyCollection<string> ignoredCodes, IReadOnlyList<AuditTable> tables, IReadOnlyList<AuditFinding> findings)
    {
        Database = database;
        ServerVersion = serverVersion;
        ServerVersionNum = serverVersionNum;
        AppRole = appRole;
        TenantColumns = tenantColumns;
        IgnoredCodes = [.. ignoredCodes.Order(StringComparer.Ordinal)];
        Tables = tables;
        Findings = findings;
    }

    /// <summary>The database audited.</summary>
    public string Database { get; }

    /// <summary>The server's version as it reports it (<c>server_version</c>), such as <c>15.14 (Debian 15.14-0+deb12u1)</c>.</summary>
    public string ServerVersion { get; }

    /// <summary>The server's version as a number (<c>server_version_num</c>), such as <c>150014</c>.</summary>
    public int ServerVersionNum { get; }

    /// <summary>The app role checked, or <see langword="null"/> when none was given.</summary>
    public string? AppRole { get; }

    /// <summary>The column names that mark a tenant table without a tenant policy (<see cref="TenantAuditOptions.TenantColumns"/>).</summary>
    public IReadOnlyList<string> TenantColumns { get; }

    /// <summary>The codes left out, in order.</summary>
    public IReadOnlyList<string> IgnoredCodes { get; }

    /// <summary>The tenant tables, ordered by schema and name, partitions included.</summary>
    public IReadOnlyList<AuditTable> Tables { get; }

    /// <summary>The findings that were not ignored, ordered by code, then object.</summary>
    public IReadOnlyList<AuditFinding> Findings { get; }

    /// <summary>Whether any finding is an <see cref="AuditSeverity.Error"/>.</summary>
    public bool HasErrors => Findings.Any(f => f.Severity == AuditSeverity.Error);

    /// <summary>The number of findings of <paramref name="severity"/>.</summary>
    /// <param name="severity">The severity to count.</param>
    /// <returns>The count.</returns>
    public int Count(AuditSeverity severity) => Findings.Count(f => f.Severity == severity);

    /// <summary>A one-line summary.</summary>
    /// <returns><c>Audit of shop: 2 errors, 3 warnings, 0 info.</c></returns>
    public override string ToString() =>
        $"Audit of {Database}: {Count(AuditSeverity.Error)} error(s), {Count(AuditSeverity.Warning)} warning(s), {Count(AuditSeverity.Info)} info.";

    /// <summary>The lower-case name of a severity, as the reports print it: <c>error</c>, <c>warning</c>, <c>info</c>.</summary>
    /// <param name="severity">The severity.</param>
    /// <returns>Its name.</returns>
    public static string SeverityName(AuditSeverity severity) => severity switch
    {
        AuditSeverity.Error => "error",
        AuditSeverity.Warning => "warning",
        _ => "info",
    };
}
