using System.Text.Json;
using System.Text.Json.Serialization;

namespace DapperTenants.Cli.Audit;

/// <summary>The result of an audit, and its stable JSON form (<see cref="SchemaVersion"/>).</summary>
internal sealed class AuditReport
{
    /// <summary>Bumped only when a field is removed or changes meaning; new fields may appear in any version.</summary>
    public const int SchemaVersion = 1;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public AuditReport(AuditSnapshot snapshot, IReadOnlyList<Finding> findings, IReadOnlyCollection<string> ignoredCodes)
    {
        Snapshot = snapshot;
        Findings = findings;
        IgnoredCodes = ignoredCodes;
    }

    public AuditSnapshot Snapshot { get; }

    /// <summary>The findings that were not ignored, ordered by code then object.</summary>
    public IReadOnlyList<Finding> Findings { get; }

    public IReadOnlyCollection<string> IgnoredCodes { get; }

    public int Count(Severity severity) => Findings.Count(f => f.Severity == severity);

    public int ExitCode => Count(Severity.Error) > 0 ? ExitCodes.Failure : ExitCodes.Success;

    public string ToJson() => JsonSerializer.Serialize(new JsonReport(
        SchemaVersion,
        Snapshot.Database,
        new JsonServer(Snapshot.ServerVersion, Snapshot.ServerVersionNum),
        Snapshot.AppRole?.Name,
        Snapshot.TenantColumns,
        [.. IgnoredCodes.Order(StringComparer.Ordinal)],
        new JsonSummary(Count(Severity.Error), Count(Severity.Warning), Count(Severity.Info), Snapshot.Tables.Count, Snapshot.Tables.Count(t => t.RlsEnabled)),
        [.. Findings.Select(f => new JsonFinding(f.Code, SeverityName(f.Severity), f.Object, f.Title, f.Why, f.Fix))]), JsonOptions);

    public static string SeverityName(Severity severity) => severity switch
    {
        Severity.Error => "error",
        Severity.Warning => "warning",
        _ => "info",
    };

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
