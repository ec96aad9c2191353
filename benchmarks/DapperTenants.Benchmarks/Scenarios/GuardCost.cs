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
/// over an in-memory catalog. Targets: cached check ≤ 0.5 µs and 0 bytes allocated; cold analysis ≤ 20 µs.
/// </summary>
/// <remarks>
/// <para>
/// Category <c>Insert</c>: <see cref="GuardWorkload.TypicalInsert"/> (a 205-character Dapper upsert with five named
/// parameters) checked the way <c>TenantConnection</c> does before each command. <see cref="Check_Cached"/> repeats one
/// text, as an application does; <see cref="Check_Cold"/> gives the guard a text it has never seen on every call (the same
/// INSERT followed by a distinct <c>-- 01234</c> comment, built in the setup), so each call pays the analysis, the cache
/// insertion, and its share of the cache's periodic reset. Its ratio is how much the cache saves.
/// </para>
/// <para>
/// Category <c>Lexer</c>: <see cref="Lexer_LargeScript"/> tokenizes <see cref="GuardWorkload.LargeScript"/> (about 1 MB of
/// migration and seed SQL) and matches its brackets; the <c>MB/s</c> column is its throughput. It has no competitor, so
/// it is the baseline of its own category.
/// </para>
/// </remarks>
[MemoryDiagnoser]
[NoDatabase]
[LargeScriptThroughput]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class GuardCost
{
    // More distinct texts than the guard's cache holds between two resets, so no cold text is ever found in it.
    private const int ColdTexts = 4 * TenantGuard.MaxCachedTexts;

    private NpgsqlCommand _command = null!;
    private NpgsqlParameterCollection _parameters = null!;
    private TenantGuard _cachedGuard = null!;
    private TenantGuard _coldGuard = null!;
    private string[] _coldTexts = [];
    private string _script = string.Empty;
    private int _next;

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

        _cachedGuard = new TenantGuard(TenantOptions.DefaultSettingName);
        var plan = _cachedGuard.GetPlan(GuardWorkload.TypicalInsert, GuardWorkload.Catalog);
        Verify.That(plan.Checks.Count > 0, "GuardCost: the guard found nothing to check in the INSERT; the benchmark would measure a pass-through.");
        Verify.That(RefusesOtherTenant(_cachedGuard, GuardWorkload.TypicalInsert), "GuardCost: the guard let the INSERT write another tenant's value.");
        _cachedGuard.Check(GuardWorkload.TypicalInsert, CommandType.Text, _parameters, GuardWorkload.Tenant, GuardWorkload.Catalog);

        _coldTexts = [.. Enumerable.Range(0, ColdTexts).Select(i => GuardWorkload.TypicalInsert + $" -- {i:D5}")];
        _coldGuard = new TenantGuard(TenantOptions.DefaultSettingName);
        var first = _coldGuard.GetPlan(_coldTexts[0], GuardWorkload.Catalog);
        Verify.That(first.Checks.Count == plan.Checks.Count, "GuardCost: the comment changed what the guard checks in the cold texts.");
        Verify.That(RefusesOtherTenant(_coldGuard, _coldTexts[1]), "GuardCost: the guard let a cold INSERT write another tenant's value.");
        foreach (var text in _coldTexts)
        {
            _coldGuard.Check(text, CommandType.Text, _parameters, GuardWorkload.Tenant, GuardWorkload.Catalog);
        }

        Verify.That(!ReferenceEquals(_coldGuard.GetPlan(_coldTexts[0], GuardWorkload.Catalog), first),
            "GuardCost: a cold text was still cached after a full round; the cold case would measure cache hits.");
        _next = 0;

        _script = GuardWorkload.LargeScript;
        var tokens = SqlLexer.Tokenize(_script);
        Verify.That(tokens.Balanced && Enumerable.Range(0, tokens.Count).All(i => tokens.Kind(i) != SqlTokenKind.Error),
            "GuardCost: the large script does not lex cleanly; the throughput would not be that of valid SQL.");
    }

    [GlobalCleanup]
    public void Cleanup() => _command.Dispose();

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Insert")]
    public void Check_Cached() =>
        _cachedGuard.Check(GuardWorkload.TypicalInsert, CommandType.Text, _parameters, GuardWorkload.Tenant, GuardWorkload.Catalog);

    [Benchmark]
    [BenchmarkCategory("Insert")]
    public void Check_Cold() =>
        _coldGuard.Check(_coldTexts[_next++ & (ColdTexts - 1)], CommandType.Text, _parameters, GuardWorkload.Tenant, GuardWorkload.Catalog);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Lexer")]
    public int Lexer_LargeScript() => SqlLexer.Tokenize(_script).Count;

    private bool RefusesOtherTenant(TenantGuard guard, string sql)
    {
        try
        {
            guard.Check(sql, CommandType.Text, _parameters, "t0002", GuardWorkload.Catalog);
            return false;
        }
        catch (TenantGuardException)
        {
            return true;
        }
    }
}
