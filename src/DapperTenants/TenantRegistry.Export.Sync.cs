using System.Data;
using System.IO.Compression;
using DapperTenants.Catalog;
using DapperTenants.Registry;
using Npgsql;
using NpgsqlTypes;

namespace DapperTenants;

/// <content>The synchronous twins of the export and the import.</content>
public sealed partial class TenantRegistry
{
    /// <summary>
    /// Writes every protected table's rows of one tenant into a zip archive: one file per table in PostgreSQL's COPY text
    /// format, and <c>manifest.json</c>. See <see cref="ExportAsync"/>.
    /// </summary>
    /// <param name="tenant">The tenant value, compared exactly.</param>
    /// <param name="destination">Where the archive goes; written forward only and left open.</param>
    /// <returns>The archive's manifest.</returns>
    /// <exception cref="ArgumentException">The tenant value is invalid, or <paramref name="destination"/> cannot be written.</exception>
    /// <exception cref="TenantNotFoundException">The registry does not hold the tenant.</exception>
    /// <exception cref="InvalidOperationException">The tenant is purged or being purged; or a table is signed and the registry has no signing key.</exception>
    public TenantArchive Export(string tenant, Stream destination)
    {
        Validate(tenant);
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("The destination stream cannot be written. Pass a writable stream, such as a FileStream opened for writing.", nameof(destination));
        }

        CheckArchivable(Find(tenant), tenant);
        using var tenants = new TenantDataSource(_ownerDataSource, _options);
        using var connection = tenants.Open(tenant);
        var catalog = CatalogReader.ReadLifecycle(connection.InnerConnection, _options.SettingName);
        var order = CheckedOrder(catalog, tenant).Reverse().ToList();
        using var transaction = connection.BeginTransaction(IsolationLevel.RepeatableRead);
        var exportedAt = EnterExport(connection, tenant);
        var tables = new List<TenantArchiveTable>(order.Count);
        using var zip = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        for (var i = 0; i < order.Count; i++)
        {
            var table = order[i];
            var columns = catalog.CopiedColumns(table);
            var file = $"tables/{i + 1:D3}.copy";
            using var entry = zip.CreateEntry(file, CompressionLevel.Optimal).Open();
            using var copy = new ArchiveCopy();
            using (var reader = connection.InnerConnection.BeginTextExport(LifecycleSql.CopyOut(table, columns)))
            {
                copy.Export(reader, entry);
            }

            tables.Add(new TenantArchiveTable(
                table.Schema, table.Table, file, table.TenantColumn, [.. columns.Select(c => new TenantArchiveColumn(c.Name, c.Type))], copy.Rows, copy.Sha256));
        }

        var archive = new TenantArchive(TenantArchive.CurrentFormatVersion, tenant, exportedAt, tables);
        using (var manifest = zip.CreateEntry(TenantArchive.ManifestFile, CompressionLevel.Optimal).Open())
        {
            ArchiveManifest.Write(manifest, archive);
        }

        transaction.Commit();
        return archive;
    }

    /// <summary>Imports an archive written by <see cref="ExportAsync"/> or <see cref="Export"/>, in one transaction. See <see cref="ImportAsync"/>.</summary>
    /// <param name="archive">The archive; a seekable stream is read in place.</param>
    /// <returns>The archive's manifest.</returns>
    /// <exception cref="InvalidDataException">The archive is not a DapperTenants export, is of another format version, or a file differs from the manifest (nothing is imported).</exception>
    /// <exception cref="TenantNotFoundException">The registry of this database does not hold the archive's tenant.</exception>
    /// <exception cref="InvalidOperationException">The tenant is purged or being purged; or a table is missing here or has other columns.</exception>
    public TenantArchive Import(Stream archive)
    {
        ArgumentNullException.ThrowIfNull(archive);
        using var zip = new ZipArchive(archive, ZipArchiveMode.Read, leaveOpen: true);
        var manifest = ReadManifest(zip);
        var tenant = manifest.Tenant;
        CheckArchivable(Find(tenant), tenant);
        using var tenants = new TenantDataSource(_ownerDataSource, _options);
        using var connection = tenants.Open(tenant);
        var catalog = CatalogReader.ReadLifecycle(connection.InnerConnection, _options.SettingName);
        CheckedOrder(catalog, tenant);
        var targets = manifest.Tables.Select(t => (File: t, Table: ImportTarget(catalog, t, tenant))).ToList();
        using var transaction = connection.BeginTransaction();
        EnterExport(connection, tenant);
        for (var i = 0; i < targets.Count; i++)
        {
            var (file, table) = targets[i];
            var entry = Entry(zip, file);
            var columns = catalog.CopiedColumns(table);
            var staging = StagingTable(i);
            Execute(connection.InnerConnection, LifecycleSql.CreateStaging(staging, table, columns));
            using var copy = new ArchiveCopy();
            using (var source = entry.Open())
            using (var writer = connection.InnerConnection.BeginTextImport(LifecycleSql.CopyIn(staging, columns)))
            {
                copy.Import(source, writer);
            }

            Verify(copy, file);
            Execute(connection.InnerConnection, LifecycleSql.InsertStaged(staging, table, columns));
        }

        transaction.Commit();
        return manifest;
    }

    private static DateTimeOffset EnterExport(TenantConnection connection, string tenant)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "select pg_catalog.now()";
        var now = (DateTime)command.ExecuteScalar()!;
        using var bind = new NpgsqlCommand(LifecycleSql.SetExportTenant, connection.InnerConnection)
        {
            Parameters = { new NpgsqlParameter("tenant", NpgsqlDbType.Text) { Value = tenant } },
        };
        bind.ExecuteNonQuery();
        return new DateTimeOffset(DateTime.SpecifyKind(now, DateTimeKind.Utc));
    }

    private static void Execute(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
