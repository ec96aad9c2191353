using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using DapperTenants.Benchmarks.Infrastructure;
using DapperTenants.Benchmarks.Models;

namespace DapperTenants.Benchmarks.Scenarios;

/// <summary>
/// Scenario 6, throughput under concurrency: 16 workers run scenario 1 (open, point query, close) for random tenants
/// at the same time. One invocation is <see cref="Operations"/> lookups, so Mean is the time per lookup across the
/// 16 workers and Op/s the throughput. The floor (the same statements by hand) is the baseline, as in scenario 1;
/// no target of its own (the signed context's throughput target is in <see cref="SignedContext"/>).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class Concurrency
{
    public const int Workers = 16;
    public const int LookupsPerWorker = 32;
    public const int Operations = Workers * LookupsPerWorker;

    private readonly Task<Order?>[] _workers = new Task<Order?>[Workers];
    private OrderLookups _lookups = null!;
    private OrderKey[] _keys = [];
    private int _next;

    [Params(false, true)]
    public bool AutoPrepare { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _lookups = await OrderLookups.CreateAsync(AutoPrepare);
        _keys = _lookups.Dataset.DrawKeys(8192, seed: 6);
        await _lookups.VerifyAsync(_keys[^1]);
        await _lookups.WarmAsync(Workers);
        _next = 0;
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _lookups.DisposeAsync();

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public Task<Order?[]> Floor_SameStatementsByHand() => RunAsync(Variant.Floor);

    [Benchmark(OperationsPerInvoke = Operations)]
    public Task<Order?[]> TenantConnection_Transaction() => RunAsync(Variant.TenantConnection);

    [Benchmark(OperationsPerInvoke = Operations)]
    public Task<Order?[]> Raw_ExplicitWhere() => RunAsync(Variant.Raw);

    private Task<Order?[]> RunAsync(Variant variant)
    {
        var start = _next;
        _next += Operations;
        for (var w = 0; w < Workers; w++)
        {
            _workers[w] = WorkerAsync(variant, start + (w * LookupsPerWorker));
        }

        return Task.WhenAll(_workers);
    }

    private async Task<Order?> WorkerAsync(Variant variant, int start)
    {
        Order? last = null;
        for (var i = 0; i < LookupsPerWorker; i++)
        {
            var key = _keys[(start + i) & (_keys.Length - 1)];
            last = variant switch
            {
                Variant.Raw => await _lookups.ExplicitWhereAsync(key),
                Variant.Floor => await _lookups.SameStatementsByHandAsync(key),
                _ => await _lookups.TenantConnectionAsync(key),
            };
        }

        return last;
    }

    private enum Variant
    {
        Raw,
        Floor,
        TenantConnection,
    }

    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(
            StatisticColumn.OperationsPerSecond,
            new ReferenceColumn("vs raw", "Mean ÷ the mean of Raw_ExplicitWhere with the same parameters", RelativeColumns.Raw, ReferenceKind.TimeRatio));
    }
}
