using System.Data;
using System.IO.Compression;
using DapperTenants.Catalog;
using DapperTenants.Registry;
using Npgsql;
using NpgsqlTypes;

namespace DapperTenants;

/// <content>Exporting a tenant's rows into an archive, and importing one.</content>
public sealed partial class TenantRegistry
{
    /// <summary>
    /// Writes every protected table's rows of one tenant into a zip archive: one file per table in PostgreSQL's COPY text
    /// format, and <c>manifest.json</c> (format version, tables, columns and types, row counts, SHA-256 per file).
    /// </summary>
    /// <param name="tenant">The tenant value, compared exactly.</param>
    /// <param name="destination">Where the archive goes; written forward only (it need not seek) and left open.</param>
    /// <param name="cancellationToken">Cancels the export; the destination then holds an incomplete archive.</param>
    /// <returns>The archive's manifest.</returns>
    /// <exception cref="ArgumentException">The tenant value is invalid, or <paramref name="destination"/> cannot be written.</exception>
    /// <exception cref="TenantNotFoundException">The registry does not hold the tenant.</exception>
    /// <exception cref="InvalidOperationException">The tenant is purged or being purged; or a table is signed and the registry has no signing key.</exception>
    /// <remarks>
    /// <para>
    /// Rows are read through the tenant's own policies: as the owner's login, with the tenant's context (its signed token
    /// when the options carry the key), in one REPEATABLE READ, read-only transaction, so the files are one consistent
    /// snapshot. Only the tenant's own rows are written: a table's shared rows (NULL tenant) belong to no tenant.
    /// Generated columns are left out (the database computes them again on import).
    /// </para>
    /// <para>Tables stream a buffer at a time; no table is held in memory.</para>
    /// </remarks>
    public async Task<TenantArchive> ExportAsync(string tenant, Stream destination, CancellationToken cancellationToken = default)
    {
        Validate(tenant);
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("The destination stream cannot be written. Pass a writable stream, such as a FileStream opened for writing.", nameof(destination));
        }

        CheckArchivable(await FindAsync(tenant, cancellationToken).ConfigureAwait(false), tenant);

        var tenants = new TenantDataSource(_ownerDataSource, _options);
        await using (tenants.ConfigureAwait(false))
        {
            var connection = await tenants.OpenAsync(tenant, cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var catalog = await CatalogReader.ReadLifecycleAsync(connection.InnerConnection, _options.SettingName, cancellationToken).ConfigureAwait(false);
                var order = CheckedOrder(catalog, tenant).Reverse().ToList();
                var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    var exportedAt = await EnterExportAsync(connection, tenant, cancellationToken).ConfigureAwait(false);
                    var tables = new List<TenantArchiveTable>(order.Count);
                    using (var zip = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true))
                    {
                        for (var i = 0; i < order.Count; i++)
                        {
                            var table = order[i];
                            var columns = catalog.CopiedColumns(table);
                            var file = $"tables/{i + 1:D3}.copy";
                            var entry = zip.CreateEntry(file, CompressionLevel.Optimal).Open();
                            await using (entry.ConfigureAwait(false))
                            {
                                using var copy = new ArchiveCopy();
                                var reader = await connection.InnerConnection.BeginTextExportAsync(LifecycleSql.CopyOut(table, columns), cancellationToken).ConfigureAwait(false);
                                await using (reader.ConfigureAwait(false))
                                {
                                    await copy.ExportAsync(reader, entry, cancellationToken).ConfigureAwait(false);
                                }

                                tables.Add(new TenantArchiveTable(
                                    table.Schema, table.Table, file, table.TenantColumn, [.. columns.Select(c => new TenantArchiveColumn(c.Name, c.Type))], copy.Rows, copy.Sha256));
                            }
                        }

                        var archive = new TenantArchive(TenantArchive.CurrentFormatVersion, tenant, exportedAt, tables);
                        var manifest = zip.CreateEntry(TenantArchive.ManifestFile, CompressionLevel.Optimal).Open();
                        await using (manifest.ConfigureAwait(false))
                        {
                            ArchiveManifest.Write(manifest, archive);
                        }

                        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                        return archive;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Imports an archive written by <see cref="ExportAsync"/> into this database: every file into its table, in one
    /// transaction, through the archive tenant's own policies.
    /// </summary>
    /// <param name="archive">The archive. A seekable stream (a FileStream) is read in place; any other is first copied into memory by the zip reader.</param>
    /// <param name="cancellationToken">Cancels the import; nothing of it stays.</param>
    /// <returns>The archive's manifest.</returns>
    /// <exception cref="InvalidDataException">The archive is not a DapperTenants export, is of another format version, or a file's checksum or row count differs from the manifest (nothing is imported).</exception>
    /// <exception cref="TenantNotFoundException">The registry of this database does not hold the archive's tenant (register it first).</exception>
    /// <exception cref="InvalidOperationException">The tenant is purged or being purged; or a table of the archive is missing here, not protected, or has other columns.</exception>
    /// <remarks>
    /// The tables must exist with the same columns and types (the schema migrated as in the exporting database). Rows go in
    /// with the values they had, identity columns included; sequences are not moved (set them after importing if this
    /// database will insert more rows). Rows that break a key or constraint fail the whole import with PostgreSQL's error.
    /// </remarks>
    public async Task<TenantArchive> ImportAsync(Stream archive, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(archive);
        using var zip = new ZipArchive(archive, ZipArchiveMode.Read, leaveOpen: true);
        var manifest = ReadManifest(zip);
        var tenant = manifest.Tenant;
        Validate(tenant);
        CheckArchivable(await FindAsync(tenant, cancellationToken).ConfigureAwait(false), tenant);

        var tenants = new TenantDataSource(_ownerDataSource, _options);
        await using (tenants.ConfigureAwait(false))
        {
            var connection = await tenants.OpenAsync(tenant, cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var catalog = await CatalogReader.ReadLifecycleAsync(connection.InnerConnection, _options.SettingName, cancellationToken).ConfigureAwait(false);
                CheckedOrder(catalog, tenant);
                var targets = manifest.Tables.Select(t => (File: t, Table: ImportTarget(catalog, t, tenant))).ToList();
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    await EnterExportAsync(connection, tenant, cancellationToken).ConfigureAwait(false);
                    for (var i = 0; i < targets.Count; i++)
                    {
                        var (file, table) = targets[i];
                        var entry = Entry(zip, file);
                        var columns = catalog.CopiedColumns(table);
                        var staging = StagingTable(i);
                        await ExecuteAsync(connection.InnerConnection, LifecycleSql.CreateStaging(staging, table, columns), cancellationToken).ConfigureAwait(false);
                        using var copy = new ArchiveCopy();
                        var source = entry.Open();
                        await using (source.ConfigureAwait(false))
                        {
                            var writer = await connection.InnerConnection.BeginTextImportAsync(LifecycleSql.CopyIn(staging, columns), cancellationToken).ConfigureAwait(false);
                            await using (writer.ConfigureAwait(false))
                            {
                                await copy.ImportAsync(source, writer, cancellationToken).ConfigureAwait(false);
                            }
                        }

                        Verify(copy, file);
                        await ExecuteAsync(connection.InnerConnection, LifecycleSql.InsertStaged(staging, table, columns), cancellationToken).ConfigureAwait(false);
                    }

                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return manifest;
    }

    /// <summary>
    /// Applies the tenant's context to the transaction with its first statement (the tenant connection carries it), which
    /// also binds the tenant to the setting a COPY reads it from (COPY takes no parameters), and reads the snapshot's time.
    /// </summary>
    private static async Task<DateTimeOffset> EnterExportAsync(TenantConnection connection, string tenant, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "select pg_catalog.now()";
        var now = (DateTime)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        var bind = new NpgsqlCommand(LifecycleSql.SetExportTenant, connection.InnerConnection)
        {
            Parameters = { new NpgsqlParameter("tenant", NpgsqlDbType.Text) { Value = tenant } },
        };
        await using (bind.ConfigureAwait(false))
        {
            await bind.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return new DateTimeOffset(DateTime.SpecifyKind(now, DateTimeKind.Utc));
    }

    private static void CheckArchivable(TenantInfo? info, string tenant)
    {
        if (info is null)
        {
            throw RegistryMessages.NotRegistered(tenant);
        }

        if (info.State is TenantState.Purged or TenantState.Purging)
        {
            throw RegistryMessages.NotExportable(tenant, info.State);
        }
    }

    /// <summary>The manifest, read before anything else (it is small; the files are streamed).</summary>
    private TenantArchive ReadManifest(ZipArchive zip)
    {
        var entry = zip.GetEntry(TenantArchive.ManifestFile)
            ?? throw new InvalidDataException($"The archive has no {TenantArchive.ManifestFile}. Is it a DapperTenants export, complete?");
        using var stream = entry.Open();
        var manifest = ArchiveManifest.Read(stream);
        Validate(manifest.Tenant);
        return manifest;
    }

    private static ZipArchiveEntry Entry(ZipArchive zip, TenantArchiveTable file) => zip.GetEntry(file.File)
        ?? throw new InvalidDataException($"The archive lacks {file.File}, which its manifest lists for {file.Schema}.{file.Table}. Nothing was imported.");

    /// <summary>The file went into the staging table only; the transaction is never committed when it is not the manifest's.</summary>
    private static void Verify(ArchiveCopy copy, TenantArchiveTable file)
    {
        var sha = copy.Sha256;
        if (sha != file.Sha256 || copy.Rows != file.Rows)
        {
            throw new InvalidDataException(
                $"{file.File} ({file.Schema}.{file.Table}) holds {copy.Rows} rows with SHA-256 {sha}; the manifest says {file.Rows} rows with {file.Sha256}. "
                + "The archive was changed or damaged: nothing was imported.");
        }
    }

    private static string StagingTable(int index) => $"pg_temp.dapper_tenants_import_{index + 1}";

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection);
        await using (command.ConfigureAwait(false))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The protected table here that a file of the archive goes into, with the same columns and types.</summary>
    private static ProtectedTable ImportTarget(LifecycleCatalog catalog, TenantArchiveTable file, string tenant)
    {
        var table = catalog.Tables.FirstOrDefault(t => t.Schema == file.Schema && t.Table == file.Table)
            ?? throw new InvalidOperationException(
                $"The archive of tenant '{tenant}' holds rows of {file.Schema}.{file.Table}, which is no protected table in this database. "
                + "Create the schema as in the exporting database (and install its policies) before importing. Nothing was imported.");
        var here = catalog.CopiedColumns(table).Select(c => c.Name + " " + c.Type);
        var there = file.Columns.Select(c => c.Name + " " + c.Type);
        if (!here.SequenceEqual(there, StringComparer.Ordinal) || table.TenantColumn != file.TenantColumn)
        {
            throw new InvalidOperationException(
                $"{table.QuotedName} has the columns ({string.Join(", ", here)}) here, but the archive's file has ({string.Join(", ", there)}) with tenant column {file.TenantColumn}. "
                + "Migrate the schema to the exporting database's before importing. Nothing was imported.");
        }

        return table;
    }
}
