using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Lifecycle;

/// <summary>The purge and export sample of docs/installer.md, run against two lifecycle databases.</summary>
[Category(Categories.Database)]
public class LifecycleSampleTests
{
    [Test]
    public async Task The_documented_sample_exports_purges_and_imports_globex()
    {
        await using var source = await LifecycleDatabase.CreateAsync("lifecycle_sample", useSignedContext: true);
        await using var target = await LifecycleDatabase.CreateAsync("lifecycle_sample_target", useSignedContext: true);
        await source.SeedAsync("globex", 4);
        await source.SeedAsync("acme", 2);
        await target.Registry.CreateAsync("globex");
        var rows = await source.RowsAsync("globex");
        var acme = await source.RowsAsync("acme");
        var exports = Directory.CreateTempSubdirectory("dapper-tenants-sample").FullName;
        try
        {
            var result = await PurgeExportSampleAsync(source.Owner, source.Options(), exports, target.Registry);

            result.RowsDeleted.ShouldBe(rows.Count);
            (await source.RowsAsync("globex")).ShouldBeEmpty();
            (await source.RowsAsync("acme")).ShouldBe(acme);
            (await target.RowsAsync("globex")).ShouldBe(rows);
        }
        finally
        {
            Directory.Delete(exports, recursive: true);
        }
    }

    private static async Task<TenantPurgeResult> PurgeExportSampleAsync(NpgsqlDataSource owner, TenantOptions appOptions, string exports, TenantRegistry otherRegistry)
    {
        // README sample tenant-purge-export: PurgeExportSampleAsync
        // As the owner, with the application's options (the signing key too, for a signed install):
        var registry = new TenantRegistry(owner, appOptions);

        // Export first: a zip of the tenant's rows, read through its own policies in one snapshot.
        await using (var file = File.Create(Path.Combine(exports, "globex.zip")))
        {
            var archive = await registry.ExportAsync("globex", file);   // archive.Tables: file, rows and SHA-256 per table
        }

        // Purge: disable, plan (deletes nothing), then delete in chunks, referencing tables first.
        await registry.DisableAsync("globex", "contract ended");
        var plan = await registry.PlanPurgeAsync("globex");            // plan.Steps: table and rows, in delete order
        var result = await registry.PurgeAsync(plan, new Progress<TenantPurgeProgress>(p => Console.WriteLine($"{p.Table}: {p.TableRowsDeleted}/{p.TableRowsPlanned}")));
        // Interrupted? globex stays 'purging' (refused by strict data sources); plan and purge again to finish.

        // Into another database with the same schema, where globex is registered:
        await using (var file = File.OpenRead(Path.Combine(exports, "globex.zip")))
        {
            await otherRegistry.ImportAsync(file);
        }

        // README sample end
        return result;
    }
}
