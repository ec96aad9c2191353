using System.Globalization;
using System.Runtime.InteropServices;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>The CPU clocks the diagnoses read (<c>breakdown</c>, <c>wakeups</c>); Linux only, <see langword="null"/> elsewhere.</summary>
internal static class CpuClocks
{
    private const int ClockProcessCpuTime = 2;
    private const int ClockThreadCpuTime = 3;

    /// <summary>The calling thread's CPU time, system calls included, in µs.</summary>
    public static double? ThreadMicroseconds() => Read(ClockThreadCpuTime);

    /// <summary>This process's CPU time over all its threads, in µs.</summary>
    public static double? ProcessMicroseconds() => Read(ClockProcessCpuTime);

    /// <summary>
    /// <c>utime + stime</c> (fields 14 and 15 of <c>/proc/&lt;pid&gt;/stat</c>, the kernel's nanosecond run time in
    /// ticks of 10 ms) of a postgres process on this machine, in µs; <see langword="null"/> when it is not visible here.
    /// </summary>
    public static double? PostgresProcessMicroseconds(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!OperatingSystem.IsLinux() || !File.Exists(stat) || !File.ReadAllText($"/proc/{pid}/comm").StartsWith("postgres", StringComparison.Ordinal))
        {
            return null;
        }

        var text = File.ReadAllText(stat);
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 10_000.0;
    }

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
