using BenchmarkDotNet.Attributes;
using DapperTenants.Benchmarks.Infrastructure;

namespace DapperTenants.Benchmarks.Scenarios;

/// <summary>
/// Scenario 2, a unit of work: open, begin, three reads (the order, its customer, the tenant's five latest orders),
/// two writes (insert a payment, credit the customer), commit, close. Targets: <see cref="TenantConnection_Transaction"/>
/// ≤ 1.05× the same statements by hand (the baseline, <c>Ratio</c>), and ≤ 0.80× the hand-written recipe and role
/// per tenant (the <c>ours ÷ this</c> column).
/// </summary>
/// <remarks>
/// The forms and their tables are in <see cref="UnitsOfWork"/>. <c>vs raw</c> is the mean against
/// <see cref="Raw_ExplicitWhere"/>'s with the same auto-prepare setting (the honest ratio against the tables without RLS).
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(RelativeColumns.AgainstRawAndOurs))]
public class UnitOfWork
{
    private UnitsOfWork _units = null!;
    private OrderKey[] _keys = [];
    private int _next;

    [Params(false, true)]
    public bool AutoPrepare { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _units = await UnitsOfWork.CreateAsync(AutoPrepare);
        _keys = _units.Dataset.DrawKeys(4096, seed: 2);
        await _units.VerifyAsync(_keys[^1]);
        _next = 0;
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _units.DisposeAsync();

    /// <summary>The reference: the statements <see cref="TenantConnection_Transaction"/> sends, written by hand on raw Npgsql + Dapper.</summary>
    [Benchmark(Baseline = true)]
    public Task<int> Floor_SameStatementsByHand() => _units.SameStatementsByHandAsync(NextKey());

    [Benchmark]
    public Task<int> TenantConnection_Transaction() => _units.TenantConnectionAsync(NextKey());

    [Benchmark]
    public Task<int> Raw_ExplicitWhere() => _units.ExplicitWhereAsync(NextKey());

    [Benchmark]
    public Task<int> HandWritten_SetConfig() => _units.HandWrittenAsync(NextKey());

    [Benchmark]
    public Task<int> RolePerTenant_SetRole() => _units.RolePerTenantAsync(NextKey());

    private OrderKey NextKey() => _keys[_next++ & (_keys.Length - 1)];
}
