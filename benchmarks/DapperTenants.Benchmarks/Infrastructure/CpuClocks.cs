using System.Globalization;
using System.Runtime.InteropServices;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>The CPU clocks the diagnoses read (<c>breakdown</c>, <c>wakeups</c>, <c>contextcost</c>); Linux only, <see langword="null"/> elsewhere.</summary>
internal static class CpuClocks
{
    private const int ClockProcessCpuTime = 2;
    private const int ClockThreadCpuTime = 3;

    /// <summary>The calling thread's CPU time, system calls included, in µs.</summary>
    public static double? ThreadMicroseconds() => Read(ClockThreadCpuTime);

    /// <summary>This process's CPU time over all its threads, in µs.</summary>
    public static double? ProcessMicroseconds() => Read(ClockProcessCpuTime);

    /// <summary>
    /// The run time of a postgres process on this machine, in µs: the kernel's nanosecond count from
    /// <c>/proc/&lt;pid&gt;/schedstat</c> (its first field), or, where the kernel does not provide that file,
    /// <c>utime + stime</c> (fields 14 and 15 of <c>/proc/&lt;pid&gt;/stat</c>, the same count in ticks of 10 ms);
    /// <see langword="null"/> when the process is not visible here.
    /// </summary>
    /// <remarks>
    /// Both count user and system time. The tick form only means something over thousands of operations; the
    /// nanosecond form also resolves the few microseconds a single statement costs (<c>contextcost</c>).
    /// </remarks>
    public static double? PostgresProcessMicroseconds(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!OperatingSystem.IsLinux() || !File.Exists(stat) || !File.ReadAllText($"/proc/{pid}/comm").StartsWith("postgres", StringComparison.Ordinal))
        {
            return null;
        }

        var schedstat = $"/proc/{pid}/schedstat";
        if (File.Exists(schedstat)
            && long.TryParse(File.ReadAllText(schedstat).Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var nanoseconds)
            && nanoseconds > 0)
        {
            return nanoseconds / 1e3;
        }

        var text = File.ReadAllText(stat);
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 10_000.0;
    }

    /// <summary>Which clock <see cref="PostgresProcessMicroseconds"/> reads for <paramref name="pid"/>, for the reports' headers.</summary>
    public static string PostgresClockSource(int pid) =>
        !OperatingSystem.IsLinux() ? "not available (not Linux)"
        : File.Exists($"/proc/{pid}/schedstat") ? "/proc/<pid>/schedstat (ns)"
        : File.Exists($"/proc/{pid}/stat") ? "/proc/<pid>/stat (10 ms ticks)"
        : "not available (the server runs elsewhere)";

    private static double? Read(int clock) =>
        OperatingSystem.IsLinux() && clock_gettime(clock, out var time) == 0 ? (time.Seconds * 1e6) + (time.Nanoseconds / 1e3) : null;

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int clock_gettime(int clockId, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
