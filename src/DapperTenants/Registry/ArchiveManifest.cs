using System.Text.Json;

namespace DapperTenants.Registry;

/// <summary>Writes and reads <c>manifest.json</c> of a tenant archive, by hand, so the format is what the docs say and nothing reflected.</summary>
internal static class ArchiveManifest
{
    public const string Format = "dapper-tenants-export";

    public static void Write(Stream destination, TenantArchive archive)
    {
        using var json = new Utf8JsonWriter(destination, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("format", Format);
        json.WriteNumber("formatVersion", archive.FormatVersion);
        json.WriteString("tenant", archive.Tenant);
        json.WriteString("exportedAt", archive.ExportedAt);
        json.WriteString("dataFormat", "postgresql-copy-text");
        json.WriteString("encoding", "UTF-8");
        json.WriteStartArray("tables");
        foreach (var table in archive.Tables)
        {
            json.WriteStartObject();
            json.WriteString("schema", table.Schema);
            json.WriteString("table", table.Table);
            json.WriteString("file", table.File);
            json.WriteString("tenantColumn", table.TenantColumn);
            json.WriteStartArray("columns");
            foreach (var column in table.Columns)
            {
                json.WriteStartObject();
                json.WriteString("name", column.Name);
                json.WriteString("type", column.Type);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteNumber("rows", table.Rows);
            json.WriteString("sha256", table.Sha256);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <exception cref="InvalidDataException">The manifest is not one this library wrote, or of a later format version.</exception>
    public static TenantArchive Read(Stream source)
    {
        try
        {
            using var document = JsonDocument.Parse(source);
            var root = document.RootElement;
            if (root.GetProperty("format").GetString() != Format)
            {
                throw new InvalidDataException($"The archive's {TenantArchive.ManifestFile} is not a DapperTenants export (its \"format\" is not \"{Format}\").");
            }

            var version = root.GetProperty("formatVersion").GetInt32();
            if (version != TenantArchive.CurrentFormatVersion)
            {
                throw new InvalidDataException(
                    $"The archive is of format version {version}; this version of DapperTenants reads version {TenantArchive.CurrentFormatVersion} only. Import it with the version that exported it, or a later one.");
            }

            var tables = root.GetProperty("tables").EnumerateArray().Select(t => new TenantArchiveTable(
                Text(t, "schema"), Text(t, "table"), Text(t, "file"), Text(t, "tenantColumn"),
                [.. t.GetProperty("columns").EnumerateArray().Select(c => new TenantArchiveColumn(Text(c, "name"), Text(c, "type")))],
                t.GetProperty("rows").GetInt64(), Text(t, "sha256"))).ToList();
            return new TenantArchive(version, Text(root, "tenant"), root.GetProperty("exportedAt").GetDateTimeOffset(), tables);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"The archive's {TenantArchive.ManifestFile} cannot be read ({e.Message}). Is this a DapperTenants export, complete and unchanged?", e);
        }
    }

    private static string Text(JsonElement element, string name) =>
        element.GetProperty(name).GetString() ?? throw new InvalidDataException($"The archive's {TenantArchive.ManifestFile} holds null for \"{name}\".");
}
