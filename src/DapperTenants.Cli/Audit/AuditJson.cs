using System.Text.Json;
using System.Text.Json.Serialization;

namespace DapperTenants.Cli.Audit;

/// <summary>The audit's stable JSON form (<see cref="SchemaVersion"/>).</summary>
internal static class AuditJson
{
    /// <summary>Bumped only when a field is removed or changes meaning; new fields may appear in any version.</summary>
    public const int SchemaVersion = 1;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Write(AuditRun run)
    {
        var report = run.Report;
        return JsonSerializer.Serialize(new JsonReport(
            SchemaVersion,
            report.Database,
            new JsonServer(report.ServerVersion, report.ServerVersionNum),
            report.AppRole,
            report.TenantColumns,
            report.IgnoredCodes,
            new JsonSummary(run.Count(Severity.Error), run.Count(Severity.Warning), run.Count(Severity.Info), report.Tables.Count, report.Tables.Count(t => t.RowSecurity)),
            [.. run.Findings.Select(f => new JsonFinding(f.Code, AuditReport.SeverityName(f.Severity), f.Object, f.Title, f.Why, f.Fix))]), JsonOptions);
    }

    private sealed record JsonReport(
        [property: JsonPropertyName("schemaVersion")] int SchemaVersion,
        [property: JsonPropertyName("database")] string Database,
        [property: JsonPropertyName("server")] JsonServer Server,
        [property: JsonPropertyName("appRole")] string? AppRole,
        [property: JsonPropertyName("tenantColumns")] IReadOnlyList<string> TenantColumns,
        [property: JsonPropertyName("ignoredCodes")] IReadOnlyList<string> IgnoredCodes,
        [property: JsonPropertyName("summary")] JsonSummary Summary,
        [property: JsonPropertyName("findings")] IReadOnlyList<JsonFinding> Findings);

    private sealed record JsonServer(
        [property: JsonPropertyName("version")] string Version,
        [property: JsonPropertyName("versionNum")] int VersionNum);

    private sealed record JsonSummary(
        [property: JsonPropertyName("errors")] int Errors,
        [property: JsonPropertyName("warnings")] int Warnings,
        [property: JsonPropertyName("info")] int Info,
        [property: JsonPropertyName("tenantTables")] int TenantTables,
        [property: JsonPropertyName("protectedTables")] int ProtectedTables);

    private sealed record JsonFinding(
        [property: JsonPropertyName("code")] string Code,
        [property: JsonPropertyName("severity")] string Severity,
        [property: JsonPropertyName("object")] string Object,
        [property: JsonPropertyName("title")] string Title,
        [property: JsonPropertyName("why")] string Why,
        [property: JsonPropertyName("fix")] string Fix);
}
