using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Lifecycle;

/// <summary>
/// <see cref="TenantRegistry.ExportAsync"/> and <see cref="TenantRegistry.ImportAsync"/>: the archive holds exactly the
/// tenant's rows, its manifest describes the files truthfully, and an import into an empty database with the same
/// schema gives back every row, value for value; unsigned and signed.
/// </summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync, false)]
[TestFixture(SyncOrAsync.Async, false)]
[TestFixture(SyncOrAsync.Sync, true)]
[TestFixture(SyncOrAsync.Async, true)]
public class ExportTests(SyncOrAsync mode, bool useSignedContext)
{
    private LifecycleDatabase _source = null!;
    private LifecycleDatabase _target = null!;

    [OneTimeSetUp]
    public async Task CreateDatabases()
    {
        var name = $"{mode.ToString().ToLowerInvariant()}_{(useSignedContext ? "signed" : "plain")}";
        _source = await LifecycleDatabase.CreateAsync("export_" + name, useSignedContext);
        _target = await LifecycleDatabase.CreateAsync("import_" + name, useSignedContext);
        await _source.SeedAsync("acme", 7);
        await _source.SeedAsync("globex", 3);
    }

    [OneTimeTearDown]
    public async Task DropDatabases()
    {
        await _source.DisposeAsync();
        await _target.DisposeAsync();
    }

    private bool Sync => mode == SyncOrAsync.Sync;

    private async Task<TenantArchive> ExportAsync(TenantRegistry registry, string tenant, Stream destination) =>
        Sync ? registry.Export(tenant, destination) : await registry.ExportAsync(tenant, destination);

    private async Task<TenantArchive> ImportAsync(TenantRegistry registry, Stream archive) =>
        Sync ? registry.Import(archive) : await registry.ImportAsync(archive);

    [Test]
    public async Task An_archive_imported_into_an_empty_database_gives_back_every_row_of_the_tenant()
    {
        using var archive = new MemoryStream();
        var exported = await ExportAsync(_source.Registry, "acme", archive);
        exported.TotalRows.ShouldBe(7 + 28 + 84 + 14 + 7);
        await _target.Registry.CreateAsync("acme");
        (await _target.RowsAsync("acme")).ShouldBeEmpty("the control");

        archive.Position = 0;
        var imported = await ImportAsync(_target.Registry, archive);

        imported.Tenant.ShouldBe("acme");
        var expected = await _source.RowsAsync("acme");
        expected.Count.ShouldBe(140);
        (await _target.RowsAsync("acme")).ShouldBe(expected);
        (await _target.CountsAsync()).Keys.ShouldNotContain(k => k.EndsWith(":globex", StringComparison.Ordinal));
    }

    [Test]
    public async Task The_manifest_lists_every_table_parents_first_with_columns_rows_and_the_checksum_of_its_file()
    {
        using var archive = new MemoryStream();
        var exported = await ExportAsync(_source.Registry, "globex", archive);

        using var zip = new ZipArchive(new MemoryStream(archive.ToArray()), ZipArchiveMode.Read);
        zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal)
            .ShouldBe(["manifest.json", "tables/001.copy", "tables/002.copy", "tables/003.copy", "tables/004.copy", "tables/005.copy"]);
        exported.FormatVersion.ShouldBe(1);
        exported.Tables.Select(t => t.Table).ShouldBe(["lc_customers", "lc_orders", "lc_order_lines", "lc_docs", "lc_categories"]);
        exported.Tables.Select(t => t.Rows).ShouldBe([3L, 12L, 36L, 3L, 6L]);
        var docs = exported.Tables.Single(t => t.Table == "lc_docs");
        docs.Columns.Select(c => c.Name + " " + c.Type).ShouldBe(["tenant text", "id integer", "title text", "body bytea"], "generated columns are left out");
        foreach (var table in exported.Tables)
        {
            using var file = new MemoryStream();
            await using (var entry = zip.GetEntry(table.File)!.Open())
            {
                await entry.CopyToAsync(file);
            }

            Convert.ToHexStringLower(SHA256.HashData(file.ToArray())).ShouldBe(table.Sha256);
            var lines = Encoding.UTF8.GetString(file.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            lines.Length.ShouldBe((int)table.Rows);
            lines.ShouldAllBe(l => l.StartsWith("globex\t", StringComparison.Ordinal), "only the tenant's rows, never another's or the shared ones");
        }

        await using var manifest = zip.GetEntry("manifest.json")!.Open();
        using var json = System.Text.Json.JsonDocument.Parse(manifest);
        json.RootElement.GetProperty("format").GetString().ShouldBe("dapper-tenants-export");
        json.RootElement.GetProperty("tables")[0].GetProperty("sha256").GetString().ShouldBe(exported.Tables[0].Sha256);
    }

    [Test]
    public async Task A_changed_archive_is_refused_and_nothing_of_it_is_imported()
    {
        using var archive = new MemoryStream();
        await ExportAsync(_source.Registry, "globex", archive);
        using var changed = new MemoryStream();
        using (var from = new ZipArchive(new MemoryStream(archive.ToArray()), ZipArchiveMode.Read))
        using (var to = new ZipArchive(changed, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in from.Entries)
            {
                await using var source = entry.Open();
                await using var target = to.CreateEntry(entry.FullName).Open();
                var bytes = new MemoryStream();
                await source.CopyToAsync(bytes);
                var content = bytes.ToArray();
                if (entry.FullName == "tables/003.copy")
                {
                    content = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(content).Replace("sku-2", "sku-9", StringComparison.Ordinal));
                }

                await target.WriteAsync(content);
            }
        }

        await _target.Registry.CreateAsync("globex");
        changed.Position = 0;
        var refused = await Should.ThrowAsync<InvalidDataException>(() => ImportAsync(_target.Registry, changed));

        refused.Message.ShouldStartWith("tables/003.copy (public.lc_order_lines) holds 36 rows with SHA-256 ");
        refused.Message.ShouldEndWith("The archive was changed or damaged: nothing was imported.");
        (await _target.RowsAsync("globex")).ShouldBeEmpty();
    }

    [Test]
    public async Task Exporting_an_unknown_tenant_names_it()
    {
        var unknown = await Should.ThrowAsync<TenantNotFoundException>(() => ExportAsync(_source.Registry, "nobody", Stream.Null));
        unknown.Message.ShouldStartWith("Tenant 'nobody' is not in the tenant registry.");
    }
}
