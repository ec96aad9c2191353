using System.Diagnostics;
using System.Globalization;
using DapperTenants.Testing;
using Npgsql;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// <c>auditscale</c>: generates <see cref="AuditScaleCatalog"/> in a throwaway database (or the server in
/// <see cref="PostgresServer.ConnectionVariable"/>) and times <see cref="TenantAudit"/> on it, as the tables' owner with
/// the app role (every query of the audit runs). Issue #22's target: under 10 s for 22,000 relations.
/// </summary>
internal static class AuditScale
{
    public static async Task<int> RunAsync(int units, int runs)
    {
        await using var server = await PostgresServer.StartAsync();
        Console.WriteLine("// PostgreSQL: " + server.Description);
        await using var database = await server.CreateDatabaseAsync("auditscale");
        var setup = Stopwatch.StartNew();
        await AuditScaleCatalog.CreateAsync(database.OwnerConnectionString, units);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// generated {units:N0} units: {AuditScaleCatalog.Relations(units):N0} tables, partitions and views in {setup.Elapsed.TotalSeconds:F1} s"));

        await using var owner = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(database.OwnerConnectionString) { CommandTimeout = 0 }.ConnectionString);
        await using (var count = owner.CreateCommand("""
            select count(*) filter (where c.relkind in ('r', 'p', 'v', 'm')), count(*), (select count(*) from pg_class)
            from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1
            """))
        {
            count.Parameters.AddWithValue(AuditScaleCatalog.Schema);
            await using var reader = await count.ExecuteReaderAsync();
            await reader.ReadAsync();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"// pg_class: {reader.GetInt64(0):N0} tables, partitions and views in schema {AuditScaleCatalog.Schema}, {reader.GetInt64(1):N0} relations with their indexes, {reader.GetInt64(2):N0} in the database"));
        }

        var audit = new TenantAudit(owner, new TenantAuditOptions { AppRole = database.AppRole, CommandTimeout = TimeSpan.Zero });
        // Right after the migration (the catalogs' statistics still describe an empty database), then after ANALYZE.
        foreach (var state in new[] { "fresh", "analyzed" })
        {
            if (state == "analyzed")
            {
                await using var admin = NpgsqlDataSource.Create(database.AdminConnectionString);
                await admin.CreateCommand("analyze pg_catalog.pg_class; analyze pg_catalog.pg_depend; analyze pg_catalog.pg_rewrite; analyze pg_catalog.pg_proc; "
                    + "analyze pg_catalog.pg_policy; analyze pg_catalog.pg_attribute; analyze pg_catalog.pg_index; analyze pg_catalog.pg_inherits").ExecuteNonQueryAsync();
            }

            var times = new List<double>();
            for (var run = 1; run <= runs; run++)
            {
                var watch = Stopwatch.StartNew();
                var report = await audit.RunAsync();
                var seconds = watch.Elapsed.TotalSeconds;
                times.Add(seconds);
                if (Environment.GetEnvironmentVariable("DAPPER_TENANTS_AUDITSCALE_FINDINGS") is { Length: > 0 } file)
                {
                    // For comparing two versions of the catalog queries: every finding, in full, one per line.
                    await File.WriteAllLinesAsync(file, report.Findings.Select(f => $"{f.Code}\t{f.Severity}\t{f.Target}\t{f.Title}\t{f.Why}\t{f.Fix}").Order(StringComparer.Ordinal));
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"audit run {run} ({state}): {seconds:F2} s, {report.Tables.Count:N0} tenant tables, {report.Findings.Count:N0} findings"));
            }

            times.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"auditscale ({state}): {AuditScaleCatalog.Relations(units):N0} relations, median {times[times.Count / 2]:F2} s over {runs} run(s) (target < 10 s)"));
        }

        // The rules alone (no I/O) on the catalog as read once: what judging and writing the findings' texts cost.
        await using (var connection = await owner.OpenConnectionAsync())
        {
            var request = new Catalog.CatalogRequest(TenantOptions.DefaultSettingName) { TenantColumnHints = TenantAuditOptions.DefaultTenantColumns, Details = true, CommandTimeout = 0 };
            var catalog = await Catalog.CatalogReader.ReadForAuditAsync(connection, request, database.AppRole, progress: null, CancellationToken.None);
            var input = new Audit.AuditInput(catalog, TenantAuditOptions.DefaultTenantColumns, DateOnly.FromDateTime(DateTime.UtcNow));
            var times = new List<double>();
            long characters = 0;
            for (var run = 1; run <= Math.Max(5, runs); run++)
            {
                var watch = Stopwatch.StartNew();
                var findings = Audit.AuditRules.Evaluate(input);
                times.Add(watch.Elapsed.TotalMilliseconds);
                characters = findings.Sum(f => (long)f.Title.Length + f.Why.Length + f.Fix.Length);
            }

            times.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"auditscale (rules only): median {times[times.Count / 2]:F0} ms over {times.Count} run(s), {characters:N0} characters of finding text"));
        }

        return 0;
    }
}
