namespace DapperTenants;

/// <summary>
/// The manifest of a tenant archive (<see cref="TenantRegistry.ExportAsync"/>): a zip with one file per protected table,
/// in PostgreSQL's COPY text format, and <c>manifest.json</c>, which this type reads back.
/// </summary>
public sealed class TenantArchive
{
    /// <summary>The format version this library writes and reads: 1.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>The name of the manifest entry in the archive.</summary>
    public const string ManifestFile = "manifest.json";

    internal TenantArchive(int formatVersion, string tenant, DateTimeOffset exportedAt, IReadOnlyList<TenantArchiveTable> tables)
    {
        FormatVersion = formatVersion;
        Tenant = tenant;
        ExportedAt = exportedAt;
        Tables = tables;
    }

    /// <summary>The archive's format version.</summary>
    public int FormatVersion { get; }

    /// <summary>The tenant whose rows the archive holds.</summary>
    public string Tenant { get; }

    /// <summary>When the export's snapshot was taken (the database's clock).</summary>
    public DateTimeOffset ExportedAt { get; }

    /// <summary>The tables, in an order an import can follow: every table after the tables it references.</summary>
    public IReadOnlyList<TenantArchiveTable> Tables { get; }

    /// <summary>All rows of all tables.</summary>
    public long TotalRows => Tables.Sum(t => t.Rows);
}
