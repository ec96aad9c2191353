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
        Step($"Timing: open + query + close, {_iterations} times each, alternating (indicative only)");
        const string rawQuery = "select tenant, id, name from customers where tenant = @tenant";
        const string tenantQuery = "select tenant, id, name from customers";
        var raw = NpgsqlDataSource.Create(database.AdminConnectionString);
        await using (raw.ConfigureAwait(false))
        {
            var (rawMedian, tenantMedian) = await MedianMicrosecondsAsync(
                async () =>
                {
                    var connection = await raw.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                    await using (connection.ConfigureAwait(false))
                    {
                        await connection.QueryAsync<Customer>(new CommandDefinition(rawQuery, new { tenant = Acme }, cancellationToken: cancellationToken))
                            .ConfigureAwait(false);
                    }
                },
                async () =>
                {
                    var connection = await tenants.OpenAsync(Acme, cancellationToken).ConfigureAwait(false);
                    await using (connection.ConfigureAwait(false))
                    {
                        await connection.QueryAsync<Customer>(new CommandDefinition(tenantQuery, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    }
                }).ConfigureAwait(false);

            var table = _context.CreateTable("Variant", "Query", "Median µs");
            table.AddRow("raw Npgsql + Dapper (superuser, no RLS)", Markup.Escape(rawQuery), Format(rawMedian));
            table.AddRow("TenantConnection (app login, RLS policy)", Markup.Escape(tenantQuery), Format(tenantMedian));
            _context.Write(table);
            Note("Indicative only: one run on this machine, pooled connections, tiny tables. The benchmarks measure properly.");
        }
    }

    // The two variants alternate, so a change in machine load affects both alike.
    private async Task<(double First, double Second)> MedianMicrosecondsAsync(Func<Task> first, Func<Task> second)
    {
        for (var i = 0; i < Warmup; i++)
        {
            await first().ConfigureAwait(false);
            await second().ConfigureAwait(false);
        }

        var firstSamples = new double[_iterations];
        var secondSamples = new double[_iterations];
        for (var i = 0; i < _iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await first().ConfigureAwait(false);
            firstSamples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            start = Stopwatch.GetTimestamp();
            await second().ConfigureAwait(false);
            secondSamples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        return (Median(firstSamples), Median(secondSamples));
    }

    private static double Median(double[] samples)
    {
        Array.Sort(samples);
        var middle = samples.Length / 2;
        return samples.Length % 2 == 1 ? samples[middle] : (samples[middle - 1] + samples[middle]) / 2;
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
