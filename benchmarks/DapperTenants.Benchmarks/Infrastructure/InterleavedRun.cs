using System.Diagnostics;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// Runs variants interleaved, one operation of each in turn in a fresh random order every round, synchronously on one
/// thread, and measures each operation's wall time, the calling thread's CPU and allocations, and each variant's
/// backend CPU over the whole run. Interleaving per operation makes the ratios immune to the drift that separates
/// BenchmarkDotNet's cases by minutes on a shared machine.
/// </summary>
internal static class InterleavedRun
{
    public static List<MeasuredRow> Measure(Variant[] variants, int operations)
    {
        // Warm up: JIT, pools, plans, the catalog, the signed context's startup check; and every variant must find its rows.
        for (var i = 0; i < Math.Min(500, operations); i++)
        {
            foreach (var variant in variants)
            {
                Check(variant, i);
            }
        }

        var backends = variants.Select(v => v.BackendPid()).ToArray();
        var serverBefore = backends.Select(CpuClocks.PostgresProcessMicroseconds).ToArray();
        var wall = new double[variants.Length];
        var allocated = new long[variants.Length];
        var client = new double?[variants.Length];
        Array.Fill(client, 0);
        // A fresh random order in every round: a fixed order biases each variant by the one that runs before it
        // (measured: up to 8 % on this machine, the previous backend still finishing its work).
        var order = Enumerable.Range(0, variants.Length).ToArray();
        var random = new Random(7);
        for (var i = 0; i < operations; i++)
        {
            random.Shuffle(order);
            foreach (var v in order)
            {
                var bytes = GC.GetAllocatedBytesForCurrentThread();
                var cpu = CpuClocks.ThreadMicroseconds();
                var start = Stopwatch.GetTimestamp();
                Check(variants[v], i);
                wall[v] += Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                client[v] = CpuClocks.ThreadMicroseconds() - cpu + client[v];
                allocated[v] += GC.GetAllocatedBytesForCurrentThread() - bytes;
            }
        }

        var serverAfter = backends.Select(CpuClocks.PostgresProcessMicroseconds).ToArray();

        // A variant's server CPU counts only if one backend served all its operations.
        var samePids = variants.Select((v, i) => v.BackendPid() == backends[i]).ToArray();
        return
        [
            .. variants.Select((variant, v) => new MeasuredRow(
                variant.Name,
                wall[v] / operations,
                client[v] / operations,
                samePids[v] ? (serverAfter[v] - serverBefore[v]) / operations : null,
                (double)allocated[v] / operations)),
        ];
    }

    /// <summary>
    /// Counts each variant's round trips per operation: the same variants, built on pools routed through a
    /// <see cref="RoundTripProxy"/>, run <paramref name="operations"/> times each after a warm-up.
    /// </summary>
    /// <param name="build">Builds the variants on connection strings rewritten by the given route, and what to dispose.</param>
    public static async Task<Dictionary<string, double>> CountRoundTripsAsync(Func<Func<string, string>, Task<(Variant[] Variants, IAsyncDisposable Owner)>> build, int operations)
    {
        await using var proxy = RoundTripProxy.For(BenchDataSources.OwnerConnectionString);
        var (variants, owner) = await build(proxy.Route);
        await using (owner)
        {
            var counts = new Dictionary<string, double>();
            foreach (var variant in variants)
            {
                for (var i = 0; i < 10; i++)
                {
                    Check(variant, i);
                }

                proxy.Reset();
                for (var i = 0; i < operations; i++)
                {
                    Check(variant, i);
                }

                counts[variant.Name] = (double)proxy.RoundTrips / operations;
            }

            return counts;
        }
    }

    public static void Check(Variant variant, int operation)
    {
        if (!variant.Run(operation))
        {
            throw new InvalidOperationException($"{variant.Name} did not return the expected rows: the measurement would time an empty operation.");
        }
    }
}
