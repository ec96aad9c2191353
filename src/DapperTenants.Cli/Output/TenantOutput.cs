using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DapperTenants.Cli.Output;

/// <summary>
/// How the <c>tenants</c> commands show registry rows: their stable JSON form (<see cref="SchemaVersion"/>), and text in
/// which a tenant value or a reason can never pass a control character to the terminal.
/// </summary>
internal static class TenantOutput
{
    /// <summary>Bumped only when a field is removed or changes meaning; new fields may appear in any version.</summary>
    public const int SchemaVersion = 1;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The name of a state as the registry, the command line and the JSON spell it: active, disabled or purged.</summary>
    public static string StateName(TenantState state) => state switch
    {
        TenantState.Active => "active",
        TenantState.Disabled => "disabled",
        TenantState.Purging => "purging",
        TenantState.Purged => "purged",
        _ => ((int)state).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>A UTC time to the second, for people: <c>2026-12-05 05:40:01Z</c>.</summary>
    public static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// Text from the registry as it may be shown on a terminal: control characters (an escape sequence, a newline, a
    /// bidirectional override) written as <c>\uXXXX</c>, so a tenant value cannot rewrite or fake other output lines.
    /// </summary>
    public static string Printable(string text)
    {
        if (!text.Any(NeedsEscape))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (NeedsEscape(c))
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>A tenant value as a shell argument in a suggested command: bare when it is safe, else single-quoted.</summary>
    public static string ShellArgument(string tenant) =>
        tenant.Length > 0 && tenant.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '@' or ':' or '/')
            ? tenant
            : "'" + Printable(tenant).Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary><c>{ "schemaVersion": 1, "tenant": …, "state": …, … }</c>: one tenant, what create, disable and enable write.</summary>
    public static string Json(TenantInfo tenant) => JsonSerializer.Serialize(new JsonOne(SchemaVersion, tenant.Tenant, StateName(tenant.State),
        JsonTime(tenant.CreatedAt), tenant.DisabledAt is { } at ? JsonTime(at) : null, tenant.DisabledReason), JsonOptions);

    /// <summary><c>{ "schemaVersion": 1, "state": …, "tenants": [ … ], "next": … }</c>: one page, what list writes.</summary>
    public static string Json(TenantPage page, TenantState? state) => JsonSerializer.Serialize(new JsonPage(SchemaVersion, state is { } s ? StateName(s) : null,
        [.. page.Tenants.Select(Row)], page.Next), JsonOptions);

    /// <summary><c>{ "schemaVersion": 1, "error": { "kind": …, "message": …, "tenant": …, "state": … } }</c>: why a command failed.</summary>
    public static string JsonError(string kind, string message, string? tenant, TenantState? state) =>
        JsonSerializer.Serialize(new JsonFailure(SchemaVersion, new JsonErrorBody(kind, message, tenant, state is { } s ? StateName(s) : null)), JsonOptions);

    private static JsonTenant Row(TenantInfo tenant) => new(tenant.Tenant, StateName(tenant.State), JsonTime(tenant.CreatedAt),
        tenant.DisabledAt is { } at ? JsonTime(at) : null, tenant.DisabledReason);

    // ISO 8601 in UTC to the microsecond (PostgreSQL's timestamptz precision), always with a Z.
    private static string JsonTime(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    // C0 and C1 controls, and the format characters that reorder or hide text (bidirectional overrides, zero-width).
    private static bool NeedsEscape(char c) => char.IsControl(c) || char.GetUnicodeCategory(c) == UnicodeCategory.Format;

    private sealed record JsonOne(
        [property: JsonPropertyName("schemaVersion")] int SchemaVersion,
        [property: JsonPropertyName("tenant")] string Tenant,
        [property: JsonPropertyName("state")] string State,
        [property: JsonPropertyName("createdAt")] string CreatedAt,
        [property: JsonPropertyName("disabledAt")] string? DisabledAt,
        [property: JsonPropertyName("disabledReason")] string? DisabledReason);

    private sealed record JsonTenant(
        [property: JsonPropertyName("tenant")] string Tenant,
        [property: JsonPropertyName("state")] string State,
        [property: JsonPropertyName("createdAt")] string CreatedAt,
        [property: JsonPropertyName("disabledAt")] string? DisabledAt,
        [property: JsonPropertyName("disabledReason")] string? DisabledReason);

    private sealed record JsonPage(
        [property: JsonPropertyName("schemaVersion")] int SchemaVersion,
        [property: JsonPropertyName("state")] string? State,
        [property: JsonPropertyName("tenants")] IReadOnlyList<JsonTenant> Tenants,
        [property: JsonPropertyName("next")] string? Next);

    private sealed record JsonFailure(
        [property: JsonPropertyName("schemaVersion")] int SchemaVersion,
        [property: JsonPropertyName("error")] JsonErrorBody Error);

    private sealed record JsonErrorBody(
        [property: JsonPropertyName("kind")] string Kind,
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("tenant")] string? Tenant,
        [property: JsonPropertyName("state")] string? State);
}
