using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dapper;
using DapperTenants.Benchmarks.Models;
using DapperTenants.Benchmarks.Scenarios;
using Npgsql;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// <c>breakdown</c>: where the time of scenarios 1, 2 and 3 goes. Runs each scenario's variants interleaved, one
/// operation of each in turn (in a random order each round), synchronously on one thread, and reports per operation the wall time, the CPU time of the
/// calling thread (the client, system calls included) and the CPU time of the PostgreSQL backend serving each variant
/// (the server). Interleaving per operation makes the ratios immune to the drift that separates BenchmarkDotNet's
/// cases by minutes on a shared machine. Not a BenchmarkDotNet run: a diagnosis that splits a ratio into client and
/// server shares.
/// </summary>
/// <remarks>
/// Thread CPU comes from <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c> and server CPU from <c>/proc/&lt;pid&gt;/stat</c>
/// of the backend process (10 ms ticks, so only meaningful over thousands of operations); both need Linux, and the
/// server column needs the server on this machine (the throwaway local cluster, not a container or a remote host).
/// Missing figures print as "n/a".
/// </remarks>
internal static class CostBreakdown
{
    public static async Task<int> RunAsync(int operations, bool pin)
    {
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"Cost breakdown: variants interleaved one operation at a time, synchronous, one thread; µs per operation.");
        if (pin)
        {
            report.AppendLine(await PinAsync());
        }

        var dataset = await Dataset.ReadAsync(BenchDataSources.OwnerConnectionString);
        foreach (var autoPrepare in new[] { false, true })
        {
            await using var lookups = await OrderLookups.CreateAsync(autoPrepare);
            Append(report, $"Scenario 1, open-query-close, {operations:N0} operations", autoPrepare, ScenarioOne(lookups, operations));
        }

        foreach (var autoPrepare in new[] { false, true })
        {
            Append(report, $"Scenario 2, unit of work, {operations / 4:N0} operations", autoPrepare, ScenarioTwo(dataset, autoPrepare, operations / 4));
        }

        foreach (var autoPrepare in new[] { false, true })
        {
            Append(report, $"Scenario 3, point query on an open connection, {operations:N0} operations", autoPrepare, ScenarioThree(dataset, autoPrepare, aggregate: false, operations));
            Append(report, $"Scenario 3, tenant-wide aggregate on an open connection, {operations / 4:N0} operations", autoPrepare, ScenarioThree(dataset, autoPrepare, aggregate: true, operations / 4));
        }

        Console.WriteLine(report.ToString());
        return 0;
    }

    /// <summary>
    /// Puts this process on the first CPU and the PostgreSQL server (the postmaster and every process it has started;
    /// backends forked later inherit it) on the last one, so that client and server never compete for a core and no
    /// variant's backend is luckier with its placement than another's.
    /// </summary>
    internal static async Task<string> PinAsync()
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

    private static List<Row> ScenarioOne(OrderLookups lookups, int operations) => Measure(ScenarioOneVariants(lookups), operations);

    /// <summary>Scenario 1's baseline, floor and default, synchronous (shared with <see cref="WakeupCount"/>).</summary>
    internal static Variant[] ScenarioOneVariants(OrderLookups lookups)
    {
        var keys = lookups.Dataset.DrawKeys(4096, seed: 42);
        return
        [
            new("Raw_ExplicitWhere (baseline)", i => lookups.ExplicitWhere(keys[i & 4095]) is not null, () => lookups.BackendProcessIds().ExplicitWhere),
            new("Floor_SameStatementsByHand", i => lookups.SameStatementsByHand(keys[i & 4095]) is not null, () => lookups.BackendProcessIds().SameStatementsByHand),
            new("TenantConnection_Transaction", i => lookups.TenantConnection(keys[i & 4095]) is not null, () => lookups.BackendProcessIds().TenantConnection),
        ];
    }

    private static List<Row> ScenarioTwo(Dataset dataset, bool autoPrepare, int operations)
    {
        var keys = dataset.DrawKeys(4096, seed: 2);
        using var owner = BenchDataSources.Owner(autoPrepare);
        using var tenants = BenchDataSources.Tenants(autoPrepare);
        Variant[] variants =
        [
            new("Raw_ExplicitWhere (baseline)", i => UnitOfWork.Raw(owner, keys[i & 4095]) == 2, () =>
            {
                using var connection = owner.OpenConnection();
                return connection.ProcessID;
            }),
            new("TenantConnection_Transaction", i => UnitOfWork.Tenant(tenants, keys[i & 4095]) == 2, () =>
            {
                using var connection = tenants.Open(dataset.Tenant(1));
                return connection.InnerConnection.ProcessID;
            }),
        ];
        return Measure(variants, operations);
    }

    private static List<Row> ScenarioThree(Dataset dataset, bool autoPrepare, bool aggregate, int operations)
    {
        var tenantIndex = dataset.DrawKeys(1, seed: 3)[0].TenantIndex;
        var keys = dataset.DrawKeysOfTenant(tenantIndex, 4096, seed: 3);
        var tenant = dataset.Tenant(tenantIndex);
        using var ownerSource = BenchDataSources.Owner(autoPrepare);
        using var appSource = BenchDataSources.App(autoPrepare);
        using var tenantSource = BenchDataSources.Tenants(autoPrepare);
        using var plain = ownerSource.OpenConnection();
        using var policy = appSource.OpenConnection();
        policy.Execute("select set_config('" + TenantOptions.DefaultSettingName + "', @Tenant, false)", new { Tenant = tenant });
        using var tenantConnection = tenantSource.Open(tenant);
        var expected = dataset.OrdersPerTenant;
        Variant[] variants = aggregate
            ?
            [
                new("Aggregate_ExplicitWhere (baseline)", _ => plain.QuerySingle<TenantTotals>(RlsCost.AggregatePlain, new { Tenant = tenant }).Count == expected, () => plain.ProcessID),
                new("Aggregate_Policy", _ => policy.QuerySingle<TenantTotals>(RlsCost.AggregateRls).Count == expected, () => policy.ProcessID),
                new("Aggregate_TenantConnection", _ => tenantConnection.QuerySingle<TenantTotals>(RlsCost.AggregateRls).Count == expected, () => tenantConnection.InnerConnection.ProcessID),
            ]
            :
            [
                new("Point_ExplicitWhere (baseline)", i => plain.QueryFirstOrDefault<Order>(RlsCost.PointPlain, new { keys[i & 4095].Tenant, keys[i & 4095].Id }) is not null, () => plain.ProcessID),
                new("Point_Policy", i => policy.QueryFirstOrDefault<Order>(RlsCost.PointRls, new { keys[i & 4095].Id }) is not null, () => policy.ProcessID),
                new("Point_TenantConnection", i => tenantConnection.QueryFirstOrDefault<Order>(RlsCost.PointRls, new { keys[i & 4095].Id }) is not null, () => tenantConnection.InnerConnection.ProcessID),
            ];
        return Measure(variants, operations);
    }

    private static List<Row> Measure(Variant[] variants, int operations)
    {
        // Warm up: JIT, pools, plans, the catalog; and every variant must find its row.
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
                var cpu = CpuClocks.ThreadMicroseconds();
                var start = Stopwatch.GetTimestamp();
                Check(variants[v], i);
                wall[v] += Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                client[v] = CpuClocks.ThreadMicroseconds() - cpu + client[v];
            }
        }

        var serverAfter = backends.Select(CpuClocks.PostgresProcessMicroseconds).ToArray();

        // A variant's server CPU counts only if one backend served all its operations.
        var samePids = variants.Select((v, i) => v.BackendPid() == backends[i]).ToArray();
        return
        [
            .. variants.Select((variant, v) => new Row(
                variant.Name,
                wall[v] / operations,
                client[v] / operations,
                samePids[v] ? (serverAfter[v] - serverBefore[v]) / operations : null)),
        ];
    }

    private static void Check(Variant variant, int operation)
    {
        if (!variant.Run(operation))
        {
            throw new InvalidOperationException($"{variant.Name} did not return the expected rows: the breakdown would measure an empty operation.");
        }
    }

    private static void Append(StringBuilder report, string title, bool autoPrepare, List<Row> rows)
    {
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"{title}, Max Auto Prepare {(autoPrepare ? BenchDataSources.MaxAutoPrepare : 0)}:");
        report.AppendLine();
        report.AppendLine("| variant | wall | ratio | client thread CPU | server backend CPU |");
        report.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Name} | {row.Wall:F1} | {row.Wall / rows[0].Wall:F2} | {Format(row.ClientCpu)} | {Format(row.ServerCpu)} |");
        }
    }

    private static string Format(double? microseconds) =>
        microseconds is { } value ? value.ToString("F1", CultureInfo.InvariantCulture) : "n/a";

    /// <summary>One way of doing a scenario's operation, and the backend process that serves it.</summary>
    internal sealed record Variant(string Name, Func<int, bool> Run, Func<int> BackendPid);

    private sealed record Row(string Name, double Wall, double? ClientCpu, double? ServerCpu);
}
