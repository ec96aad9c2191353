using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// <c>wakeups</c>: why scenario 1's wall-clock gap is larger than its CPU gap. Runs scenario 1's variants
/// synchronously in blocks (ten rounds, the variants in a random order each round), and for each block records the
/// wall time, the CPU of the calling thread, the CPU of the client's other threads (.NET's socket event loop and
/// thread pool), the CPU of the variant's PostgreSQL backend and, with <c>perf</c>, the client's receive calls:
/// how many found the response not there yet (<c>EAGAIN</c>) and so had to wait for .NET's socket event loop to
/// wake the caller, and how many futex calls (thread wake-ups and waits) that took.
/// </summary>
/// <remarks>
/// Linux only. The <c>perf</c> columns (only with <c>--perf</c>: the tracepoints slow every system call, so the
/// times of such a run are not comparable with one without) need <c>perf</c> with access to syscall tracepoints (root, or
/// <c>kernel.perf_event_paranoid</c> ≤ 1 and a readable tracefs); without it they print as <c>n/a</c>. Blocks rather
/// than single interleaved operations, because <c>perf</c> and the process CPU clock count the whole process.
/// </remarks>
internal static class WakeupCount
{
    private const int Rounds = 10;
    private const int SignalInterrupt = 2;

    private static readonly string[] Events =
    [
        "-e", "syscalls:sys_enter_recvmsg",
        "-e", "syscalls:sys_exit_recvmsg", "--filter", "ret == -11",
        "-e", "syscalls:sys_enter_futex",
    ];

    public static async Task<int> RunAsync(int operations, bool usePerf, bool pin)
    {
        if (!OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine("wakeups needs Linux (thread and process CPU clocks, /proc, perf).");
            return 2;
        }

        var perf = usePerf ? PerfWorks() : null;
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"Wake-ups: scenario 1's variants in blocks of {Math.Max(1, operations / Rounds):N0} operations, {Rounds} rounds in a random order, synchronous; per operation.");
        report.AppendLine(!usePerf ? "perf: not used (--perf counts the client's system calls); its columns print as n/a."
            : perf is null ? "perf: counting the client's system calls (its tracepoints slow them: compare times only with another --perf run)."
            : $"perf: not available ({perf}); its columns print as n/a.");
        if (pin)
        {
            report.AppendLine(await ServerPinning.PinAsync());
        }

        foreach (var autoPrepare in new[] { false, true })
        {
            await using var lookups = await OrderLookups.CreateAsync(autoPrepare);
            var variants = VariantSets.OpenQueryClose(lookups, all: false);
            if (!autoPrepare)
            {
                var keys = lookups.Dataset.DrawKeys(4096, seed: 42);
                // What-ifs: Npgsql's reset pipelined with the statements instead of sent ahead of them (see OrderLookups).
                variants =
                [
                    .. variants,
                    new Variant("WhatIf_Raw_PipelinedReset", i => lookups.ExplicitWherePipelinedReset(keys[i & 4095]) is not null, () => lookups.PipelinedResetProcessIds().ExplicitWhere),
                    new Variant("WhatIf_Floor_PipelinedReset", i => lookups.SameStatementsPipelinedReset(keys[i & 4095]) is not null, () => lookups.PipelinedResetProcessIds().SameStatements),
                ];
            }

            var totals = Measure(variants, Math.Max(1, operations / Rounds), usePerf && perf is null);
            report.AppendLine();
            report.AppendLine(CultureInfo.InvariantCulture, $"Scenario 1, open-query-close, Max Auto Prepare {(autoPrepare ? BenchDataSources.MaxAutoPrepare : 0)}:");
            report.AppendLine();
            report.AppendLine("| variant | wall µs | ÷ floor | ÷ raw | calling thread CPU µs | other client threads CPU µs | server backend CPU µs | receive calls | receives that found nothing | futex calls |");
            report.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            var floor = totals.Single(t => t.Name == VariantSets.Floor);
            var raw = totals.Single(t => t.Name == VariantSets.Raw);
            foreach (var total in totals)
            {
                var n = (double)total.Operations;
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"| {total.Name} | {total.Wall / n:F1} | {total.Wall / n / (floor.Wall / floor.Operations):F3} | {total.Wall / n / (raw.Wall / raw.Operations):F3} | {total.ThreadCpu / n:F1} | {(total.ProcessCpu - total.ThreadCpu) / n:F1} | {Format(total.ServerCpu / n, "F1")} | {Format(total.Receives / n, "F2")} | {Format(total.EmptyReceives / n, "F2")} | {Format(total.Futexes / n, "F2")} |");
            }
        }

        Console.WriteLine(report.ToString());
        return 0;
    }

    private static Total[] Measure(Variant[] variants, int perBlock, bool perf)
    {
        // Warm up: JIT, pools, plans; and every variant must find its row.
        for (var i = 0; i < Math.Min(500, perBlock * Rounds); i++)
        {
            foreach (var variant in variants)
            {
                Check(variant, i);
            }
        }

        var totals = variants.Select(v => new Total(v.Name)).ToArray();
        var order = Enumerable.Range(0, variants.Length).ToArray();
        var random = new Random(7);
        var operation = 0;
        for (var round = 0; round < Rounds; round++)
        {
            random.Shuffle(order);
            foreach (var v in order)
            {
                var variant = variants[v];
                var backend = variant.BackendPid();
                var serverBefore = CpuClocks.PostgresProcessMicroseconds(backend);
                using var counter = perf ? PerfCounter.Start() : null;
                var process = CpuClocks.ProcessMicroseconds() ?? double.NaN;
                var thread = CpuClocks.ThreadMicroseconds() ?? double.NaN;
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < perBlock; i++)
                {
                    Check(variant, operation++);
                }

                var wall = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                var threadCpu = (CpuClocks.ThreadMicroseconds() ?? double.NaN) - thread;
                var processCpu = (CpuClocks.ProcessMicroseconds() ?? double.NaN) - process;
                var counts = counter?.Stop();
                var serverAfter = variant.BackendPid() == backend ? CpuClocks.PostgresProcessMicroseconds(backend) : null;
                totals[v].Add(perBlock, wall, threadCpu, processCpu, serverAfter - serverBefore, counts);
            }
        }

        return totals;
    }

    private static void Check(Variant variant, int operation)
    {
        if (!variant.Run(operation))
        {
            throw new InvalidOperationException($"{variant.Name} did not return the expected rows: wakeups would measure an empty operation.");
        }
    }

    // Null when perf can count syscall tracepoints here; otherwise why not.
    private static string? PerfWorks()
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("perf", ["stat", "-x", ",", .. Events, "--", "true"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (probe is null)
            {
                return "perf did not start";
            }

            var error = probe.StandardError.ReadToEnd();
            probe.WaitForExit();
            return probe.ExitCode == 0 && !error.Contains("<not supported>", StringComparison.Ordinal)
                ? null
                : error.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? $"exit code {probe.ExitCode}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return e.Message;
        }
    }

    private static string Format(double? value, string format) =>
        value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    private sealed record Counts(long Receives, long EmptyReceives, long Futexes);

    private sealed class Total(string name)
    {
        public string Name { get; } = name;

        public long Operations { get; private set; }

        public double Wall { get; private set; }

        public double ThreadCpu { get; private set; }

        public double ProcessCpu { get; private set; }

        // Null once any block could not be counted: a partial sum would read as a per-operation figure.
        public double? ServerCpu { get; private set; } = 0;

        public double? Receives { get; private set; } = 0;

        public double? EmptyReceives { get; private set; } = 0;

        public double? Futexes { get; private set; } = 0;

        public void Add(int operations, double wall, double threadCpu, double processCpu, double? serverCpu, Counts? counts)
        {
            Operations += operations;
            Wall += wall;
            ThreadCpu += threadCpu;
            ProcessCpu += processCpu;
            ServerCpu += serverCpu;
            Receives += counts?.Receives;
            EmptyReceives += counts?.EmptyReceives;
            Futexes += counts?.Futexes;
        }
    }

    /// <summary><c>perf stat</c> attached to this process, from <see cref="Start"/> to <see cref="Stop"/>.</summary>
    private sealed class PerfCounter : IDisposable
    {
        private readonly Process _perf;

        private PerfCounter(Process perf) => _perf = perf;

        public static PerfCounter Start()
        {
            var perf = Process.Start(new ProcessStartInfo("perf", ["stat", "-x", ",", .. Events, "-p", Environment.ProcessId.ToString(CultureInfo.InvariantCulture)])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            }) ?? throw new InvalidOperationException("perf did not start.");

            // perf prints nothing when it has attached; give it time to. Counts while this thread sleeps are the
            // idle process's: a handful, against thousands per block.
            Thread.Sleep(300);
            return new PerfCounter(perf);
        }

        public Counts? Stop()
        {
            _ = kill(_perf.Id, SignalInterrupt);
            var output = _perf.StandardError.ReadToEnd();
            _perf.WaitForExit();
            long? receives = null, empty = null, futexes = null;
            foreach (var line in output.Split('\n'))
            {
                var fields = line.Split(',');
                if (fields.Length < 3 || !long.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var count))
                {
                    continue;
                }

                switch (fields[2])
                {
                    case "syscalls:sys_enter_recvmsg":
                        receives = count;
                        break;
                    case "syscalls:sys_exit_recvmsg":
                        empty = count;
                        break;
                    case "syscalls:sys_enter_futex":
                        futexes = count;
                        break;
                    default:
                        break;
                }
            }

            return receives is { } r && empty is { } e && futexes is { } f ? new Counts(r, e, f) : null;
        }

        public void Dispose() => _perf.Dispose();
    }
}
