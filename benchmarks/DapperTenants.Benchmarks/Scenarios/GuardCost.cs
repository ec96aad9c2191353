using System.Data;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using DapperTenants.Benchmarks.Infrastructure;
using DapperTenants.Guard;
using Npgsql;
using NpgsqlTypes;

namespace DapperTenants.Benchmarks.Scenarios;

/// <summary>
/// Scenario 4, what the guard costs each command of a tenant connection. No database: the guard runs on the client,
/// over an in-memory catalog. Targets: cached check ≤ 0.5 µs and 0 bytes allocated; cold analysis ≤ 20 µs; worst cases
/// linear (a flat <c>ns/unit</c> across sizes).
/// </summary>
/// <remarks>
/// <para>
/// Category <c>Insert</c>: <see cref="GuardWorkload.TypicalInsert"/> (a 205-character Dapper upsert with five named
/// parameters) checked the way the command path does before each command (<c>Analyze</c>, then the plan's
/// <c>Evaluate</c>). <see cref="Check_Cached"/> repeats one text, as an application does; <see cref="Check_Cold"/> gives
/// the guard a text it has never seen on every call (the same INSERT followed by a distinct <c>-- 01234</c> comment,
/// built in the setup), so each call pays the analysis, the cache insertion, and its share of the cache's periodic
/// reset. Its ratio is how much the cache saves.
/// </para>
/// <para>
/// Category <c>Lexer</c>: <see cref="Lexer_LargeScript"/> tokenizes <see cref="GuardWorkload.LargeScript"/> (about 1 MB of
/// migration and seed SQL) and matches its brackets; the <c>MB/s</c> column is its throughput. It has no competitor, so
/// it is the baseline of its own category.
/// </para>
/// <para>
/// Category <c>WorstCase</c>: <see cref="Analyze_WorstCase"/> analyzes (uncached) each <see cref="GuardWorstCase"/>:
/// deep nesting, many UNION arms, huge VALUES, many statements, long strings, at three sizes each; the <c>ns/unit</c>
/// column divides the mean by the size.
/// </para>
/// </remarks>
[MemoryDiagnoser]
[NoDatabase]
[LargeScriptThroughput]
[PerUnitColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class GuardCost
{
    // More distinct texts than the guard's cache holds between two resets, so no cold text is ever found in it.
    private const int ColdTexts = 4 * TenantGuard.MaxCachedTexts;

    private static readonly GuardContext Context = new(GuardWorkload.Tenant, SessionOutlivesLease: false);

    private NpgsqlCommand _command = null!;
    private NpgsqlParameterCollection _parameters = null!;
    private TenantGuard _cachedGuard = null!;
    private TenantGuard _coldGuard = null!;
    private TenantGuard _worstGuard = null!;
    private TenantGuard _dynamicGuard = null!;
    private string[] _coldTexts = [];
    private string _script = string.Empty;
    private int _next;

    public static IEnumerable<GuardWorstCase> WorstCases() => GuardWorstCase.All();

    [GlobalSetup]
    public void Setup()
    {
        // The parameters as Dapper adds them for new { Id, Tenant, CustomerId, Total, CreatedAt }: named, without the '@'.
        _command = new NpgsqlCommand();
        _command.Parameters.Add(new NpgsqlParameter("Id", NpgsqlDbType.Bigint) { Value = 42L });
        _command.Parameters.Add(new NpgsqlParameter("Tenant", NpgsqlDbType.Text) { Value = GuardWorkload.Tenant });
        _command.Parameters.Add(new NpgsqlParameter("CustomerId", NpgsqlDbType.Bigint) { Value = 7L });
        _command.Parameters.Add(new NpgsqlParameter("Total", NpgsqlDbType.Numeric) { Value = 19.50m });
        _command.Parameters.Add(new NpgsqlParameter("CreatedAt", NpgsqlDbType.TimestampTz) { Value = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc) });
        _parameters = _command.Parameters;

        var options = new GuardOptions(TenantOptions.DefaultSettingName);
        _cachedGuard = new TenantGuard(options);
        var plan = _cachedGuard.Analyze(GuardWorkload.TypicalInsert, CommandType.Text, GuardWorkload.Catalog).Plan;
        Verify.That(plan.Checks.Count > 0, "GuardCost: the guard found nothing to check in the INSERT; the benchmark would measure a pass-through.");
        Verify.That(RefusesOtherTenant(_cachedGuard, GuardWorkload.TypicalInsert), "GuardCost: the guard let the INSERT write another tenant's value.");
        Check_Cached();

        _coldTexts = [.. Enumerable.Range(0, ColdTexts).Select(i => GuardWorkload.TypicalInsert + $" -- {i:D5}")];
        _coldGuard = new TenantGuard(options);
        var first = _coldGuard.Analyze(_coldTexts[0], CommandType.Text, GuardWorkload.Catalog);
        Verify.That(first.Plan.Checks.Count == plan.Checks.Count, "GuardCost: the comment changed what the guard checks in the cold texts.");
        Verify.That(RefusesOtherTenant(_coldGuard, _coldTexts[1]), "GuardCost: the guard let a cold INSERT write another tenant's value.");
        foreach (var text in _coldTexts)
        {
            _coldGuard.Analyze(text, CommandType.Text, GuardWorkload.Catalog).Plan.Evaluate(_parameters, Context);
        }

        Verify.That(!ReferenceEquals(_coldGuard.Analyze(_coldTexts[0], CommandType.Text, GuardWorkload.Catalog), first),
            "GuardCost: a cold text was still cached after a full round; the cold case would measure cache hits.");
        _next = 0;

        _script = GuardWorkload.LargeScript;
        var tokens = SqlLexer.Tokenize(_script);
        Verify.That(tokens.Balanced && Enumerable.Range(0, tokens.Count).All(i => tokens.Kind(i) != SqlTokenKind.Error),
            "GuardCost: the large script does not lex cleanly; the throughput would not be that of valid SQL.");

        // Both worst-case guards throw their internal failures, so a case that crashed the analyzer would fail here.
        _worstGuard = new TenantGuard(options, enabled: true, surfaceFailures: true);
        _dynamicGuard = new TenantGuard(options with { AllowDynamicSql = true }, enabled: true, surfaceFailures: true);
        var refusing = _worstGuard.Build("insert into orders (id, tenant) select 1, 't0001' union all select 2, 't0002'", GuardWorkload.Catalog);
        Verify.That(Refuses(refusing.Plan), "GuardCost: the worst-case guard does not judge a UNION; its cases would measure a pass-through.");
    }

    [GlobalCleanup]
    public void Cleanup() => _command.Dispose();

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Insert")]
    public void Check_Cached() =>
        _cachedGuard.Analyze(GuardWorkload.TypicalInsert, CommandType.Text, GuardWorkload.Catalog).Plan.Evaluate(_parameters, Context);

    [Benchmark]
    [BenchmarkCategory("Insert")]
    public void Check_Cold() =>
        _coldGuard.Analyze(_coldTexts[_next++ & (ColdTexts - 1)], CommandType.Text, GuardWorkload.Catalog).Plan.Evaluate(_parameters, Context);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Lexer")]
    public int Lexer_LargeScript() => SqlLexer.Tokenize(_script).Count;

    [Benchmark]
    [BenchmarkCategory("WorstCase")]
    [ArgumentsSource(nameof(WorstCases))]
    public int Analyze_WorstCase(GuardWorstCase input) =>
        (input.AllowDynamicSql ? _dynamicGuard : _worstGuard).Build(input.Sql, GuardWorkload.Catalog).Plan.Checks.Count;

    private bool RefusesOtherTenant(TenantGuard guard, string sql) =>
        Refuses(guard.Analyze(sql, CommandType.Text, GuardWorkload.Catalog).Plan);

    private bool Refuses(GuardPlan plan)
    {
        try
        {
            plan.Evaluate(_parameters, new GuardContext("t0002", SessionOutlivesLease: false));
            return false;
        }
        catch (TenantGuardException)
        {
            return true;
        }
    }
}
