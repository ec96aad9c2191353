using System.Globalization;
using System.Text;
using Dapper;
using DapperTenants.Benchmarks.Models;
using DapperTenants.Benchmarks.Scenarios;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// <c>breakdown</c>: scenarios 1 and 2 (with the signed context and the alternatives) and scenario 3, each scenario's
/// variants interleaved one operation at a time (<see cref="InterleavedRun"/>), with and without auto-prepare. Per
/// operation: the wall time and its ratio to the floor and to raw Npgsql + Dapper, the client's and the server's CPU,
/// the bytes allocated, the round trips (counted through a proxy in a separate pass), what that would mean on a real
/// network (<see cref="NetworkModel"/>), and at the end every target of the issue computed from these figures.
/// </summary>
/// <remarks>
/// Thread CPU comes from <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c> and server CPU from <c>/proc/&lt;pid&gt;</c>
/// of the backend process (see <see cref="CpuClocks"/>); both need Linux, and the server column needs the server on this
/// machine (the throwaway local cluster, not a container or a remote host). Missing figures print as "n/a".
/// </remarks>
internal static class CostBreakdown
{
    /// <summary>Operations per variant in the round-trip pass (through the proxy, not timed).</summary>
    private const int RoundTripOperations = 50;

    public static async Task<int> RunAsync(int operations, bool pin)
    {
        var report = new StringBuilder();
        report.AppendLine("Cost breakdown: variants interleaved one operation at a time (a fresh random order each round), synchronous, one thread; per operation.");
        report.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}.");
        if (pin)
        {
            report.AppendLine(await ServerPinning.PinAsync());
        }

        var targets = new TargetTable();
        foreach (var autoPrepare in new[] { false, true })
        {
            await using var lookups = await OrderLookups.CreateAsync(autoPrepare);
            if (!autoPrepare)
            {
                report.AppendLine("Server CPU clock: " + CpuClocks.PostgresClockSource(lookups.BackendProcessIds().SameStatementsByHand) + ".");
            }

            var rows = InterleavedRun.Measure(VariantSets.OpenQueryClose(lookups), operations);
            rows = WithRoundTrips(rows, await InterleavedRun.CountRoundTripsAsync(
                async route =>
                {
                    var routed = await OrderLookups.CreateAsync(autoPrepare, route);
                    return (VariantSets.OpenQueryClose(routed), routed);
                },
                RoundTripOperations));
            AppendScenario(report, $"Scenario 1, open-query-close, {operations:N0} operations", autoPrepare, rows, "floor");
            targets.Ratio("Scenario 1: TenantConnection ÷ floor", 1.05, autoPrepare, rows, VariantSets.Ours, VariantSets.Floor);
            targets.Allocation("Scenario 1: TenantConnection allocations − raw (synchronous)", 256, autoPrepare, rows, VariantSets.Ours, VariantSets.Raw);
            targets.Ratio("Scenario 1: TenantConnection ÷ hand-written set_config", 0.80, autoPrepare, rows, VariantSets.Ours, VariantSets.HandWritten);
            targets.Ratio("Scenario 1: TenantConnection ÷ role per tenant", 0.80, autoPrepare, rows, VariantSets.Ours, VariantSets.RolePerTenant);
            targets.Ratio("Scenario 1: signed ÷ unsigned TenantConnection", 1.05, autoPrepare, rows, VariantSets.Signed, VariantSets.Ours);
            targets.Ratio("Scenario 1: strict registry ÷ TenantConnection", 1.02, autoPrepare, rows, VariantSets.Strict, VariantSets.Ours);
        }

        foreach (var autoPrepare in new[] { false, true })
        {
            await using var units = await UnitsOfWork.CreateAsync(autoPrepare);
            var rows = InterleavedRun.Measure(VariantSets.UnitOfWork(units), Math.Max(1, operations / 4));
            rows = WithRoundTrips(rows, await InterleavedRun.CountRoundTripsAsync(
                async route =>
                {
                    var routed = await UnitsOfWork.CreateAsync(autoPrepare, route);
                    return (VariantSets.UnitOfWork(routed), routed);
                },
                RoundTripOperations));
            AppendScenario(report, $"Scenario 2, unit of work (3 reads, 2 writes), {Math.Max(1, operations / 4):N0} operations", autoPrepare, rows, "floor");
            targets.Ratio("Scenario 2: TenantConnection ÷ the same statements by hand", 1.05, autoPrepare, rows, VariantSets.Ours, VariantSets.Floor);
            targets.Ratio("Scenario 2: TenantConnection ÷ hand-written set_config", 0.80, autoPrepare, rows, VariantSets.Ours, VariantSets.HandWritten);
            targets.Ratio("Scenario 2: TenantConnection ÷ role per tenant", 0.80, autoPrepare, rows, VariantSets.Ours, VariantSets.RolePerTenant);
            targets.Ratio("Scenario 2: signed ÷ unsigned TenantConnection", 1.05, autoPrepare, rows, VariantSets.Signed, VariantSets.Ours);
        }

        var dataset = await Dataset.ReadAsync(BenchDataSources.OwnerConnectionString);
        foreach (var autoPrepare in new[] { false, true })
        {
            AppendScenario(report, $"Scenario 3, point query on an open connection, {operations:N0} operations", autoPrepare,
                ScenarioThree(dataset, autoPrepare, aggregate: false, operations), "explicit WHERE");
            AppendScenario(report, $"Scenario 3, tenant-wide aggregate on an open connection, {Math.Max(1, operations / 4):N0} operations", autoPrepare,
                ScenarioThree(dataset, autoPrepare, aggregate: true, Math.Max(1, operations / 4)), "explicit WHERE");
        }

        targets.Append(report);
        Console.WriteLine(report.ToString());
        return 0;
    }

    private static List<MeasuredRow> WithRoundTrips(List<MeasuredRow> rows, Dictionary<string, double> roundTrips) =>
        [.. rows.Select(r => r with { RoundTrips = roundTrips.TryGetValue(r.Name, out var n) ? n : null })];

    private static List<MeasuredRow> ScenarioThree(Dataset dataset, bool autoPrepare, bool aggregate, int operations)
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
                new("Aggregate_ExplicitWhere", _ => plain.QuerySingle<TenantTotals>(RlsCost.AggregatePlain, new { Tenant = tenant }).Count == expected, () => plain.ProcessID),
                new("Aggregate_Policy", _ => policy.QuerySingle<TenantTotals>(RlsCost.AggregateRls).Count == expected, () => policy.ProcessID),
                new("Aggregate_TenantConnection", _ => tenantConnection.QuerySingle<TenantTotals>(RlsCost.AggregateRls).Count == expected, () => tenantConnection.InnerConnection.ProcessID),
            ]
            :
            [
                new("Point_ExplicitWhere", i => plain.QueryFirstOrDefault<Order>(RlsCost.PointPlain, new { keys[i & 4095].Tenant, keys[i & 4095].Id }) is not null, () => plain.ProcessID),
                new("Point_Policy", i => policy.QueryFirstOrDefault<Order>(RlsCost.PointRls, new { keys[i & 4095].Id }) is not null, () => policy.ProcessID),
                new("Point_TenantConnection", i => tenantConnection.QueryFirstOrDefault<Order>(RlsCost.PointRls, new { keys[i & 4095].Id }) is not null, () => tenantConnection.InnerConnection.ProcessID),
            ];
        return InterleavedRun.Measure(variants, operations);
    }

    /// <summary>
    /// A scenario's table, its first row the reference (<paramref name="referenceLabel"/>: the floor in scenarios 1 and 2,
    /// the explicit WHERE in scenario 3), with a ratio to raw Npgsql + Dapper when the scenario has it; when the round
    /// trips were counted, a second table computes the same rows for a real network.
    /// </summary>
    private static void AppendScenario(StringBuilder report, string title, bool autoPrepare, List<MeasuredRow> rows, string referenceLabel)
    {
        var reference = rows[0];
        var raw = rows.FirstOrDefault(r => r.Name == VariantSets.Raw);
        var network = rows.All(r => r.RoundTrips is not null);
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"{title}, Max Auto Prepare {(autoPrepare ? BenchDataSources.MaxAutoPrepare : 0)}:");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"| variant | wall µs | ÷ {referenceLabel} |{(raw is null ? string.Empty : " ÷ raw |")} client thread CPU µs | server backend CPU µs | allocated B |{(network ? " round trips |" : string.Empty)}");
        report.AppendLine("|---|---:|---:|" + (raw is null ? string.Empty : "---:|") + "---:|---:|---:|" + (network ? "---:|" : string.Empty));
        foreach (var row in rows)
        {
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Name} | {row.Wall:F1} | {row.Wall / reference.Wall:F3} |{(raw is null ? string.Empty : $" {row.Wall / raw.Wall:F3} |")} {Format(row.ClientCpu, "F1")} | {Format(row.ServerCpu, "F1")} | {row.Allocated:F0} |{(network ? $" {Format(row.RoundTrips, "F2")} |" : string.Empty)}");
        }

        if (!network)
        {
            return;
        }

        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"The same rows on a real network, computed (not measured): {NetworkModel.Formula}, µs:");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"| variant | client + server CPU µs | round trips | {string.Join(" | ", NetworkModel.RoundTripTimes.Select(rtt => $"at {NetworkModel.Label(rtt)} | ÷ {referenceLabel}"))} |");
        report.AppendLine("|---|---:|---:|" + string.Concat(NetworkModel.RoundTripTimes.Select(_ => "---:|---:|")));
        foreach (var row in rows)
        {
            var cells = NetworkModel.RoundTripTimes.Select(rtt =>
                $"{Format(NetworkModel.Time(row, rtt), "F0")} | {Format(NetworkModel.Time(row, rtt) / NetworkModel.Time(reference, rtt), "F3")}");
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Name} | {Format(row.ClientCpu + row.ServerCpu, "F1")} | {Format(row.RoundTrips, "F2")} | {string.Join(" | ", cells)} |");
        }
    }

    private static string Format(double? value, string format) =>
        value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";
}
