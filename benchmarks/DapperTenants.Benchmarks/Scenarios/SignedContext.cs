using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using DapperTenants.Benchmarks.Infrastructure;
using DapperTenants.Benchmarks.Models;

namespace DapperTenants.Benchmarks.Scenarios;

/// <summary>
/// The signed context against the unsigned one, in three situations: scenario 1 (open, point query, close), scenario 2
/// (the unit of work) and scenario 6 (16 concurrent workers of scenario 1; <c>Op/s</c> is the throughput). Target: signed
/// ≤ 1.05× unsigned (<c>Ratio</c>, per category) in each.
/// </summary>
/// <remarks>
/// Both sides are <see cref="TenantConnection"/> in the default transaction scope on identical tables; the signed side
/// carries the tenant's token (signed once per tenant and half lifetime, then reused) and its tables' policies run the
/// verifier once per statement (see <see cref="SignedBench"/>). The verifier's own server cost per statement is measured
/// by <c>contextcost</c>.
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[Config(typeof(ThroughputConfig))]
public class SignedContext
{
    private readonly Task<Order?>[] _workers = new Task<Order?>[Concurrency.Workers];
    private OrderLookups _lookups = null!;
    private UnitsOfWork _units = null!;
    private OrderKey[] _keys = [];
    private int _next;

    [Params(false, true)]
    public bool AutoPrepare { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _lookups = await OrderLookups.CreateAsync(AutoPrepare);
        _units = await UnitsOfWork.CreateAsync(AutoPrepare);
        _keys = _lookups.Dataset.DrawKeys(8192, seed: 8);
        await _lookups.VerifyAsync(_keys[^1]);
        await _units.VerifyAsync(_keys[^2]);
        await _lookups.WarmAsync(Concurrency.Workers);
        _next = 0;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _lookups.DisposeAsync();
        await _units.DisposeAsync();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("OpenQueryClose")]
    public Task<Order?> Unsigned_OpenQueryClose() => _lookups.TenantConnectionAsync(NextKey());

    [Benchmark]
    [BenchmarkCategory("OpenQueryClose")]
    public Task<Order?> Signed_OpenQueryClose() => _lookups.SignedTenantConnectionAsync(NextKey());

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("UnitOfWork")]
    public Task<int> Unsigned_UnitOfWork() => _units.TenantConnectionAsync(NextKey());

    [Benchmark]
    [BenchmarkCategory("UnitOfWork")]
    public Task<int> Signed_UnitOfWork() => _units.SignedTenantConnectionAsync(NextKey());

    [Benchmark(Baseline = true, OperationsPerInvoke = Concurrency.Operations)]
    [BenchmarkCategory("Throughput")]
    public Task<Order?[]> Unsigned_Throughput() => RunWorkersAsync(signed: false);

    [Benchmark(OperationsPerInvoke = Concurrency.Operations)]
    [BenchmarkCategory("Throughput")]
    public Task<Order?[]> Signed_Throughput() => RunWorkersAsync(signed: true);

    private Task<Order?[]> RunWorkersAsync(bool signed)
    {
        var start = _next;
        _next += Concurrency.Operations;
        for (var w = 0; w < Concurrency.Workers; w++)
        {
            _workers[w] = WorkerAsync(signed, start + (w * Concurrency.LookupsPerWorker));
        }

        return Task.WhenAll(_workers);
    }

    private async Task<Order?> WorkerAsync(bool signed, int start)
    {
        Order? last = null;
        for (var i = 0; i < Concurrency.LookupsPerWorker; i++)
        {
            var key = _keys[(start + i) & (_keys.Length - 1)];
            last = signed ? await _lookups.SignedTenantConnectionAsync(key) : await _lookups.TenantConnectionAsync(key);
        }

        return last;
    }

    private OrderKey NextKey() => _keys[_next++ & (_keys.Length - 1)];

    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(StatisticColumn.OperationsPerSecond);
    }
}
