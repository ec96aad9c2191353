using BenchmarkDotNet.Attributes;
using DapperTenants.Benchmarks.Infrastructure;
using DapperTenants.Benchmarks.Models;

namespace DapperTenants.Benchmarks.Scenarios;

/// <summary>
/// Scenario 1, the typical web request: open a connection, read one order by primary key, close it; a random tenant
/// and order each time, from a fixed seed. Targets: <see cref="TenantConnection_Transaction"/> ≤ 1.05× the floor (the
/// baseline, <c>Ratio</c>), allocations ≤ raw Npgsql + Dapper + 256 B (<c>Alloc vs raw</c>), and ≤ 0.80× the
/// hand-written recipe and role per tenant (<c>ours ÷ this</c>); <see cref="Strict_TenantConnection"/> ≤ 1.02×
/// <see cref="TenantConnection_Transaction"/> (<c>vs ours</c>).
/// </summary>
/// <remarks>
/// The floor, <see cref="Floor_SameStatementsByHand"/>, is the two statements the library sends, written by hand on raw
/// Npgsql in one command: no one-round-trip design can go below it, so the ratio to it is the library's own client
/// cost. <c>vs raw</c> keeps the honest ratio to raw Npgsql + Dapper on the table without RLS.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(RelativeColumns.AgainstRawOursAndStrict))]
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

    /// <summary>Not a competitor: the same two statements by hand on raw Npgsql, the floor of any one-round-trip approach.</summary>
    [Benchmark(Baseline = true)]
    public Task<Order?> Floor_SameStatementsByHand() => _lookups.SameStatementsByHandAsync(NextKey());

    [Benchmark]
    public Task<Order?> TenantConnection_Transaction() => _lookups.TenantConnectionAsync(NextKey());

    [Benchmark]
    public Task<Order?> TenantConnection_Session() => _lookups.TenantConnectionSessionAsync(NextKey());

    /// <summary>The library's default in strict mode (<see cref="StrictBench"/>, 1,000 tenants registered). Target: ≤ 1.02× <see cref="TenantConnection_Transaction"/>.</summary>
    [Benchmark]
    public Task<Order?> Strict_TenantConnection() => _lookups.StrictTenantConnectionAsync(NextKey());

    [Benchmark]
    public Task<Order?> Raw_ExplicitWhere() => _lookups.ExplicitWhereAsync(NextKey());

    [Benchmark]
    public Task<Order?> HandWritten_SetConfig() => _lookups.HandWrittenAsync(NextKey());

    [Benchmark]
    public Task<Order?> RolePerTenant_SetRole() => _lookups.RolePerTenantAsync(NextKey());

    private OrderKey NextKey() => _keys[_next++ & (_keys.Length - 1)];
}
