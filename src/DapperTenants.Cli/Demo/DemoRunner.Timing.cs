using System.Diagnostics;
using System.Globalization;
using Dapper;
using DapperTenants.Cli.Audit;
using DapperTenants.Testing;
using Npgsql;
using Spectre.Console;

namespace DapperTenants.Cli.Demo;

/// <summary>The last two steps: an indicative timing of raw against tenant queries, and an audit of the demo database.</summary>
internal sealed partial class DemoRunner
{
    private const int Warmup = 20;

    private async Task ShowTimingAsync(TestDatabase database, TenantDataSource tenants, CancellationToken cancellationToken)
    {
        Step($"Timing: open + query + close, {_iterations} times each (indicative only)");
        const string rawQuery = "select tenant, id, name from customers where tenant = @tenant";
        const string tenantQuery = "select tenant, id, name from customers";
        var raw = NpgsqlDataSource.Create(database.AdminConnectionString);
        await using (raw.ConfigureAwait(false))
        {
            var rawMedian = await MedianMicrosecondsAsync(async () =>
            {
                var connection = await raw.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    return (await connection.QueryAsync<Customer>(new CommandDefinition(rawQuery, new { tenant = Acme }, cancellationToken: cancellationToken))
                        .ConfigureAwait(false)).Count();
                }
            }).ConfigureAwait(false);
            var tenantMedian = await MedianMicrosecondsAsync(async () =>
            {
                var connection = await tenants.OpenAsync(Acme, cancellationToken).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    return (await connection.QueryAsync<Customer>(new CommandDefinition(tenantQuery, cancellationToken: cancellationToken))
                        .ConfigureAwait(false)).Count();
                }
            }).ConfigureAwait(false);

            var table = _context.CreateTable("Variant", "Query", "Median µs");
            table.AddRow("raw Npgsql + Dapper (superuser, no RLS)", Markup.Escape(rawQuery), Format(rawMedian));
            table.AddRow("TenantConnection (app login, RLS policy)", Markup.Escape(tenantQuery), Format(tenantMedian));
            _context.Write(table);
            Note("Indicative only: one run on this machine, pooled connections, tiny tables. The benchmarks measure properly.");
        }
    }

    private async Task<double> MedianMicrosecondsAsync(Func<Task<int>> iteration)
    {
        for (var i = 0; i < Warmup; i++)
        {
            await iteration().ConfigureAwait(false);
        }

        var samples = new double[_iterations];
        for (var i = 0; i < samples.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await iteration().ConfigureAwait(false);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        Array.Sort(samples);
        return samples.Length % 2 == 1 ? samples[samples.Length / 2] : (samples[(samples.Length / 2) - 1] + samples[samples.Length / 2]) / 2;
    }

    private async Task ShowAuditAsync(TestDatabase database, CancellationToken cancellationToken)
    {
        Step($"Audit: {CliApp.Name} audit --app-role {database.AppRole} on the demo database");
        var report = await Auditor.RunAsync(database.OwnerConnectionString, database.AppRole, Auditor.DefaultTenantColumns, [],
            DateOnly.FromDateTime(DateTime.UtcNow), cancellationToken).ConfigureAwait(false);
        foreach (var finding in report.Findings)
        {
            Console.MarkupLine($"  {AuditReport.SeverityName(finding.Severity)} {finding.Code} {Markup.Escape(finding.Object)}: {Markup.Escape(finding.Title)}");
        }

        Check(report.Count(Severity.Error) == 0,
            $"no error findings ({report.Count(Severity.Warning)} warning(s), {report.Count(Severity.Info)} info)");
    }

    private static string Format(double microseconds) => microseconds.ToString("0", CultureInfo.InvariantCulture);
}
