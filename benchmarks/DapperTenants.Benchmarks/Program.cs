using System.Globalization;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using DapperTenants.Benchmarks.Charts;
using DapperTenants.Benchmarks.Infrastructure;

namespace DapperTenants.Benchmarks;

/// <summary>
/// Starts one PostgreSQL database for the whole run (unless the selected benchmarks need none), seeds it, hands it to the benchmark processes through
/// <see cref="BenchEnvironment"/>, runs BenchmarkDotNet, and redraws the ratio chart.
/// </summary>
/// <remarks>
/// <code>
/// dotnet run -c Release --project benchmarks/DapperTenants.Benchmarks -- --filter '*'               # everything
/// dotnet run -c Release --project benchmarks/DapperTenants.Benchmarks -- --filter '*' --job short   # a few minutes
/// dotnet run -c Release --project benchmarks/DapperTenants.Benchmarks -- --filter '*' --job dry     # CI: 10,000 rows, one iteration
/// dotnet run -c Release --project benchmarks/DapperTenants.Benchmarks -- chart                      # redraw benchmarks/results/ratios.svg
/// dotnet run -c Release --project benchmarks/DapperTenants.Benchmarks -- --filter '*OpenQueryClose*' --pin   # client on CPU 0, PostgreSQL on the last
/// dotnet run -c Release --project benchmarks/DapperTenants.Benchmarks -- breakdown                  # scenarios 1-3 interleaved, targets computed
/// dotnet run -c Release --project benchmarks/DapperTenants.Benchmarks -- wakeups --perf             # scenario 1: the client's waits
/// dotnet run -c Release --project benchmarks/DapperTenants.Benchmarks -- contextcost                # server CPU per context statement form
/// dotnet run -c Release --project benchmarks/DapperTenants.Benchmarks -- auditscale                 # the audit on 22,000 generated relations (--units N, --ops runs)
/// </code>
/// Our own options: <c>--rows N</c>, <c>--tenants N</c>, <c>--installer-tables N</c>, <c>--keep-database</c>, and for <c>breakdown</c>/<c>wakeups</c>/<c>contextcost</c> <c>--ops N</c>, <c>--pin</c>, <c>--perf</c>; everything else is
/// BenchmarkDotNet's. A run that selects only classes marked <see cref="NoDatabaseAttribute"/> starts no server.
/// </remarks>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        var options = BenchCommandLine.Parse(args);
        var paths = BenchPaths.Find(options.Artifacts);
        if (options.ChartOnly)
        {
            return RatioChart.Write(paths) ? 0 : 1;
        }

        if (options.Perf && !options.WakeupsOnly)
        {
            Console.Error.WriteLine("--perf only applies to wakeups: dotnet run -c Release --project benchmarks/DapperTenants.Benchmarks -- wakeups --perf");
            return 2;
        }

        if (options.AuditScaleOnly)
        {
            return await AuditScale.RunAsync(options.Units, options.AuditRuns);
        }

        if (options.BreakdownOnly || options.WakeupsOnly || options.ContextCostOnly)
        {
            var database = await BenchFixture.StartAsync(options.Rows, options.Tenants, options.KeepDatabase);
            await using (database)
            {
                return options.WakeupsOnly ? await WakeupCount.RunAsync(options.Operations, options.Perf, options.Pin)
                    : options.ContextCostOnly ? await ContextCost.RunAsync(options.Operations, options.Pin)
                    : await CostBreakdown.RunAsync(options.Operations, options.Pin);
            }
        }

        var switcher = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly);
        var config = BenchConfig.Create(paths);
        if (options.InformationalOnly)
        {
            switcher.Run(options.BenchmarkArguments, config);
            return 0;
        }

        Environment.SetEnvironmentVariable(BenchEnvironment.InstallerTables, options.InstallerTables.ToString(CultureInfo.InvariantCulture));
        Summary[] summaries;
        if (!BenchSelection.NeedsDatabase(typeof(Program).Assembly, options.BenchmarkArguments))
        {
            Console.WriteLine("// PostgreSQL: not started, the selected benchmarks need none.");
            summaries = [.. switcher.Run(options.BenchmarkArguments, config)];
        }
        else
        {
            var fixture = await BenchFixture.StartAsync(options.Rows, options.Tenants, options.KeepDatabase);
            await using (fixture)
            {
                if (options.Pin)
                {
                    // BenchmarkDotNet's benchmark processes inherit this process's CPU.
                    Console.WriteLine("// " + await ServerPinning.PinAsync());
                }

                summaries = [.. switcher.Run(options.BenchmarkArguments, config)];
            }
        }

        if (summaries.Length == 0)
        {
            Console.Error.WriteLine("No benchmark ran: check the --filter pattern (for example --filter '*OpenQueryClose*').");
            return 2;
        }

        if (!options.IsDry && summaries.Any(s => RatioChart.Covers(s.Title)))
        {
            RatioChart.Write(paths);
        }

        var failed = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Length < s.BenchmarksCases.Length || s.Reports.Any(r => !r.Success));
        if (failed)
        {
            Console.Error.WriteLine("Some benchmarks failed or did not run; see the log above.");
        }

        return failed ? 1 : 0;
    }
}
