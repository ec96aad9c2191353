using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using DapperTenants.Benchmarks.Models;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// <c>breakdown</c>: where scenario 1's time goes. Runs the baseline, the floor (the same two statements by hand) and
/// <see cref="TenantConnection"/> interleaved, one operation of each in turn, synchronously on one thread, and reports
/// per operation the wall time, the CPU time of the calling thread (the client, system calls included) and the CPU
/// time of the PostgreSQL backend serving each pool (the server). Not a BenchmarkDotNet run: a diagnosis that splits
/// a ratio into client and server shares.
/// </summary>
/// <remarks>
/// Thread CPU comes from <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c> and server CPU from
/// <c>/proc/&lt;pid&gt;/stat</c> of the backend process, so both need Linux, and the server column needs the server on
/// this machine (the throwaway local cluster; not a container or a remote host). Missing figures print as "n/a".
/// </remarks>
internal static class CostBreakdown
{
    private const int ClockThreadCpuTime = 3;

    public static async Task<int> RunAsync(int operations)
    {
        OrderLookups[] lookups = [await OrderLookups.CreateAsync(autoPrepare: false), await OrderLookups.CreateAsync(autoPrepare: true)];
        try
        {
            return Run(lookups, operations);
        }
        finally
        {
            foreach (var lookup in lookups)
            {
                await lookup.DisposeAsync();
            }
        }
    }

    private static int Run(OrderLookups[] lookups, int operations)
    {
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"Scenario 1 cost breakdown: {operations:N0} operations per variant, interleaved, synchronous, one thread.");
        report.AppendLine();
        report.AppendLine("| AutoPrepare | variant | wall µs/op | ratio | client thread CPU µs/op | server backend CPU µs/op |");
        report.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var lookup in lookups)
        {
            var rows = Measure(lookup, operations);
            var baseline = rows[0].Wall;
            foreach (var row in rows)
            {
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"| {lookup.AutoPrepare} | {row.Name} | {row.Wall:F1} | {row.Wall / baseline:F2} | {Format(row.ClientCpu)} | {Format(row.ServerCpu)} |");
            }
        }

        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"Scenario 2 cost breakdown (open, begin, 3 reads, 2 writes, commit, close): {operations / 4:N0} units of work per variant, interleaved.");
        report.AppendLine();
        report.AppendLine("| AutoPrepare | variant | wall µs/op | ratio | client thread CPU µs/op | server backend CPU µs/op |");
        report.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var lookup in lookups)
        {
            var rows = MeasureUnitOfWork(lookup.Dataset, lookup.AutoPrepare, operations / 4);
            foreach (var row in rows)
            {
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"| {lookup.AutoPrepare} | {row.Name} | {row.Wall:F1} | {row.Wall / rows[0].Wall:F2} | {Format(row.ClientCpu)} | {Format(row.ServerCpu)} |");
            }
        }

        Console.WriteLine(report.ToString());
        return 0;
    }

    private static List<(string Name, double Wall, double? ClientCpu, double? ServerCpu)> MeasureUnitOfWork(Dataset dataset, bool autoPrepare, int operations)
    {
        var keys = dataset.DrawKeys(4096, seed: 2);
        using var owner = BenchDataSources.Owner(autoPrepare);
        using var tenants = BenchDataSources.Tenants(autoPrepare);
        var variants = new (string Name, Func<OrderKey, int> Run)[]
        {
            ("Raw_ExplicitWhere (baseline)", key => Scenarios.UnitOfWork.Raw(owner, key)),
            ("TenantConnection_Transaction", key => Scenarios.UnitOfWork.Tenant(tenants, key)),
        };
        for (var i = 0; i < 200; i++)
        {
            foreach (var variant in variants)
            {
                CheckWritten(variant.Run(keys[i & 4095]), variant.Name);
            }
        }

        int OwnerPid()
        {
            using var connection = owner.OpenConnection();
            return connection.ProcessID;
        }

        int TenantPid()
        {
            using var connection = tenants.Open(dataset.Tenant(1));
            return connection.InnerConnection.ProcessID;
        }

        int[] backends = [OwnerPid(), TenantPid()];
        var serverBefore = backends.Select(ProcessCpuMicroseconds).ToArray();
        var wall = new double[variants.Length];
        var client = new double?[variants.Length];
        Array.Fill(client, 0);
        for (var i = 0; i < operations; i++)
        {
            var key = keys[i & 4095];
            for (var v = 0; v < variants.Length; v++)
            {
                var cpu = ThreadCpuMicroseconds();
                var start = Stopwatch.GetTimestamp();
                CheckWritten(variants[v].Run(key), variants[v].Name);
                wall[v] += Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                client[v] = ThreadCpuMicroseconds() - cpu + client[v];
            }
        }

        var serverAfter = backends.Select(ProcessCpuMicroseconds).ToArray();
        var samePids = OwnerPid() == backends[0] && TenantPid() == backends[1];
        return
        [
            .. variants.Select((variant, v) => (
                variant.Name,
                wall[v] / operations,
                client[v] / operations,
                samePids ? (serverAfter[v] - serverBefore[v]) / operations : null)),
        ];
    }

    private static void CheckWritten(int written, string variant)
    {
        if (written != 2)
        {
            throw new InvalidOperationException($"{variant}: the unit of work did not write one payment and one customer.");
        }
    }

    private static List<(string Name, double Wall, double? ClientCpu, double? ServerCpu)> Measure(OrderLookups lookups, int operations)
    {
        var keys = lookups.Dataset.DrawKeys(4096, seed: 42);
        var variants = new (string Name, Func<OrderKey, Order?> Run)[]
        {
            ("Raw_ExplicitWhere (baseline)", lookups.ExplicitWhere),
            ("Floor_SameStatementsByHand", lookups.SameStatementsByHand),
            ("TenantConnection_Transaction", lookups.TenantConnection),
        };

        // Warm up: JIT, pools, plans, the catalog.
        for (var i = 0; i < 500; i++)
        {
            foreach (var variant in variants)
            {
                Check(variant.Run(keys[i & 4095]), variant.Name);
            }
        }

        var pids = lookups.BackendProcessIds();
        int[] backends = [pids.ExplicitWhere, pids.SameStatementsByHand, pids.TenantConnection];
        var serverBefore = backends.Select(ProcessCpuMicroseconds).ToArray();
        var wall = new double[variants.Length];
        var client = new double?[variants.Length];
        Array.Fill(client, 0);
        for (var i = 0; i < operations; i++)
        {
            var key = keys[i & 4095];
            for (var v = 0; v < variants.Length; v++)
            {
                var cpu = ThreadCpuMicroseconds();
                var start = Stopwatch.GetTimestamp();
                Check(variants[v].Run(key), variants[v].Name);
                wall[v] += Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                client[v] = ThreadCpuMicroseconds() - cpu + client[v];
            }
        }

        var serverAfter = backends.Select(ProcessCpuMicroseconds).ToArray();

        // Each pool must have served every operation from the one backend measured; otherwise its CPU is incomplete.
        var after = lookups.BackendProcessIds();
        var samePids = after == pids;
        return
        [
            .. variants.Select((variant, v) => (
                variant.Name,
                wall[v] / operations,
                client[v] / operations,
                samePids ? (serverAfter[v] - serverBefore[v]) / operations : null)),
        ];
    }

    private static void Check(Order? order, string variant)
    {
        if (order is null)
        {
            throw new InvalidOperationException($"{variant} returned no order for a key of the data set: the breakdown would measure an empty lookup.");
        }
    }

    private static string Format(double? microseconds) =>
        microseconds is { } value ? value.ToString("F1", CultureInfo.InvariantCulture) : "n/a";

    private static double? ThreadCpuMicroseconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        return clock_gettime(ClockThreadCpuTime, out var time) == 0 ? (time.Seconds * 1e6) + (time.Nanoseconds / 1e3) : null;
    }

    // utime + stime (fields 14 and 15 of /proc/<pid>/stat, in clock ticks of 10 ms) of a postgres process on this machine.
    private static double? ProcessCpuMicroseconds(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!OperatingSystem.IsLinux() || !File.Exists(stat) || !File.ReadAllText($"/proc/{pid}/comm").StartsWith("postgres", StringComparison.Ordinal))
        {
            return null;
        }

        var text = File.ReadAllText(stat);
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks * 10_000.0;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int clock_gettime(int clockId, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
