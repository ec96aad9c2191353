using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary><c>--pin</c>: the client on the first CPU, the PostgreSQL server on the last.</summary>
internal static class ServerPinning
{
    /// <summary>
    /// Puts this process on the first CPU and the PostgreSQL server (the postmaster and every process it has started;
    /// backends forked later inherit it) on the last one, so that client and server never compete for a core and no
    /// variant's backend is luckier with its placement than another's.
    /// </summary>
    public static async Task<string> PinAsync()
    {
        if (!OperatingSystem.IsLinux() || Environment.ProcessorCount < 2)
        {
            throw new InvalidOperationException("--pin needs Linux and at least 2 CPUs.");
        }

        await using var connection = new NpgsqlConnection(BenchDataSources.OwnerConnectionString);
        await connection.OpenAsync();
        var postmaster = ParentOf(connection.ProcessID)
            ?? throw new InvalidOperationException("--pin needs the PostgreSQL server on this machine (the throwaway local cluster): its processes are not visible here.");
        var serverCpu = Environment.ProcessorCount - 1;
        var pinned = 0;
        foreach (var pid in Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Select(name => int.TryParse(name, out var id) ? id : 0))
        {
            if (pid == postmaster || (pid != 0 && ParentOf(pid) == postmaster))
            {
                RunTaskset(pid, serverCpu);
                pinned++;
            }
        }

        // Every thread of this process, not only the main one (Process.ProcessorAffinity pins just the thread whose id is
        // the process id, which here sits idle under the async Main); threads started later inherit their creator's CPU.
        RunTaskset(Environment.ProcessId, 0, allThreads: true);
        var unpinned = Directory.EnumerateDirectories($"/proc/{Environment.ProcessId}/task")
            .Count(task => !File.ReadAllLines(Path.Combine(task, "status")).Contains("Cpus_allowed_list:\t0"));
        if (unpinned > 0)
        {
            throw new InvalidOperationException($"--pin: {unpinned} threads of this process are not on CPU 0 after taskset.");
        }

        return string.Create(CultureInfo.InvariantCulture, $"Pinned: this process to CPU 0, PostgreSQL ({pinned} processes, postmaster {postmaster}) to CPU {serverCpu}.");
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(text[(text.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void RunTaskset(int pid, int cpu, bool allThreads = false)
    {
        string[] arguments = [.. allThreads ? ["-a"] : Array.Empty<string>(), "-p", "-c", cpu.ToString(CultureInfo.InvariantCulture), pid.ToString(CultureInfo.InvariantCulture)];
        using var taskset = Process.Start(new ProcessStartInfo("taskset", arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("--pin needs taskset (util-linux).");
        taskset.WaitForExit();
        if (taskset.ExitCode != 0)
        {
            throw new InvalidOperationException($"taskset could not pin process {pid}: {taskset.StandardError.ReadToEnd().Trim()}");
        }
    }
}
