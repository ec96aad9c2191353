using BenchmarkDotNet.Attributes;
using DapperTenants.Benchmarks.Infrastructure;
using DapperTenants.Benchmarks.Models;

namespace DapperTenants.Benchmarks.Scenarios;

/// <summary>
/// Scenario 1, the typical web request: open a connection, read one order by primary key, close it; a random tenant
/// and order each time, from a fixed seed. Target: <see cref="TenantConnection_Transaction"/> ≤ 1.10× the baseline,
/// and faster than both the hand-written recipe and role-per-tenant.
/// </summary>
[MemoryDiagnoser]
public class OpenQueryClose
{
    private OrderLookups _lookups = null!;
    private OrderKey[] _keys = [];
    private int _next;

    /// <summary>Npgsql's automatic preparation (<c>Max Auto Prepare=20</c>) on every data source, or off.</summary>
    [Params(false, true)]
    public bool AutoPrepare { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _lookups = await OrderLookups.CreateAsync(AutoPrepare);
        _keys = _lookups.Dataset.DrawKeys(4096, seed: 42);
        await _lookups.VerifyAsync(_keys[^1]);
        _next = 0;
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _lookups.DisposeAsync();

    [Benchmark(Baseline = true)]
    public Task<Order?> Raw_ExplicitWhere() => _lookups.ExplicitWhereAsync(NextKey());

    [Benchmark]
    public Task<Order?> TenantConnection_Transaction() => _lookups.TenantConnectionAsync(NextKey());

    [Benchmark]
    public Task<Order?> TenantConnection_Session() => _lookups.TenantConnectionSessionAsync(NextKey());

    [Benchmark]
    public Task<Order?> HandWritten_SetConfig() => _lookups.HandWrittenAsync(NextKey());

    [Benchmark]
    public Task<Order?> RolePerTenant_SetRole() => _lookups.RolePerTenantAsync(NextKey());

    /// <summary>Not a competitor: the same two statements by hand on raw Npgsql, the floor of any one-round-trip approach.</summary>
    [Benchmark]
    public Task<Order?> Floor_SameStatementsByHand() => _lookups.SameStatementsByHandAsync(NextKey());

    private OrderKey NextKey() => _keys[_next++ & (_keys.Length - 1)];
}
