using System.Globalization;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Reliability;

/// <summary>
/// The leak fuzzer against every pooling setup. CI runs <see cref="DefaultOperations"/> operations per setup;
/// <c>DAPPER_TENANTS_FUZZ_OPS</c> sets another number of operations per setup (for example 20000 for a long run) and
/// <c>DAPPER_TENANTS_FUZZ_SEED</c> another base seed. Each setup prints one line of figures to the log.
/// </summary>
[Category(Categories.Database)]
[NonParallelizable]
public class LeakFuzzerTests
{
    public const int Workers = 16;
    public const int Tenants = 50;
    public const int DefaultOperations = 1000;
    public const int DefaultSeed = 1;

    /// <summary>At most this share of operations may fail as collateral damage (measured: under 2% in every setup).</summary>
    public const double MaxCollateralShare = 0.05;

    /// <summary>At most this share may fail on purpose (by construction about 20%: failing statements, timeouts, upserts onto foreign rows).</summary>
    public const double MaxDeliberateShare = 0.35;

    private static readonly long Operations = ReadVariable("DAPPER_TENANTS_FUZZ_OPS", DefaultOperations);
    private static readonly int BaseSeed = (int)ReadVariable("DAPPER_TENANTS_FUZZ_SEED", DefaultSeed);
    private static readonly List<FuzzReport> Reports = [];

    private TestDatabase _db = null!;
    private LeakFuzzer _fuzzer = null!;
    private PgBouncer? _bouncer;

    /// <summary>The setups, in order; a setup's seed is <c>base seed × 100 + its position</c>.</summary>
    public static readonly (string Name, string TestName)[] Setups =
    [
        ("Npgsql default pool", "No_tenant_sees_another_tenants_rows_with_the_default_pool"),
        ("Maximum Pool Size 4 (< 16 workers)", "No_tenant_sees_another_tenants_rows_with_a_pool_smaller_than_the_workers"),
        ("No Reset On Close", "No_tenant_sees_another_tenants_rows_without_reset_on_close"),
        ("auto-prepare (Max Auto Prepare 20)", "No_tenant_sees_another_tenants_rows_with_auto_prepare"),
        ("Enlist + TransactionScope", "No_tenant_sees_another_tenants_rows_in_TransactionScopes"),
        ("Multiplexing", "No_tenant_sees_another_tenants_rows_with_multiplexing"),
        ("PgBouncer transaction mode (pool 4)", "No_tenant_sees_another_tenants_rows_behind_PgBouncer_in_transaction_mode"),
        ("session scope, direct", "No_tenant_sees_another_tenants_rows_in_session_scope"),
    ];

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await TestServer.CreateDatabaseAsync("fuzz");
        _fuzzer = new LeakFuzzer(Tenants);
        await _db.ExecuteAsOwnerAsync(LeakFuzzer.Schema);
    }

    /// <summary>Every setup starts from the canaries alone, so what one setup did cannot fail the next.</summary>
    [SetUp]
    public Task ResetRows() => _db.ExecuteAsAdminAsync(_fuzzer.ResetSql());

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        foreach (var report in Reports.OrderBy(r => r.Seed))
        {
            await TestContext.Progress.WriteLineAsync("leak fuzzer: " + report);
        }

        NpgsqlConnection.ClearAllPools();
        if (_bouncer is not null)
        {
            await _bouncer.DisposeAsync();
        }

        await _db.DisposeAsync();
    }

    private static IEnumerable<TestCaseData> SetupCases() => Setups.Select((s, i) => new TestCaseData(i + 1).SetName(s.TestName));

    [TestCaseSource(nameof(SetupCases))]
    public async Task No_leak(int position)
    {
        var setup = await SetupAsync(Setups[position - 1].Name);
        var report = await _fuzzer.RunAsync(setup, Workers, Operations, seed: (BaseSeed * 100) + position);
        await _fuzzer.VerifyAsync(_db.AdminConnectionString, report);
        lock (Reports)
        {
            Reports.Add(report);
        }

        await TestContext.Out.WriteLineAsync(report + Environment.NewLine + report.FailureBreakdown());
        report.Unexpected.ShouldBeEmpty(string.Join(Environment.NewLine, report.Unexpected.Take(5)));
        report.Leaks.ShouldBeEmpty(string.Join(Environment.NewLine, report.Leaks.Take(5)));
        report.Operations.ShouldBeGreaterThanOrEqualTo(Operations);
        report.CanariesVerified.ShouldBe(Tenants * LeakFuzzer.CanariesPerTenant, "every canary is there, unchanged");

        // Floors and ceilings: a run where the tenant never reached the server reads nothing and fails most writes.
        report.RowsRead.ShouldBeGreaterThan(report.Reads, "reads through tenant connections return rows (more than one per read on average)");
        report.ForeignCounts.ShouldBeGreaterThan(0, "the count(*) probes of other tenants' rows ran");
        report.CollateralShare.ShouldBeLessThanOrEqualTo(MaxCollateralShare, report.FailureBreakdown());
        report.DeliberateShare.ShouldBeLessThanOrEqualTo(MaxDeliberateShare, report.FailureBreakdown());
        report.Succeeded.ShouldBeGreaterThan(report.Operations / 2, "most operations succeed");
    }

    private async Task<FuzzSetup> SetupAsync(string name)
    {
        switch (name)
        {
            case "Npgsql default pool":
                return new FuzzSetup(name, () => Direct());
            case "Maximum Pool Size 4 (< 16 workers)":
                return new FuzzSetup(name, () => Direct(b => b.MaxPoolSize = 4));
            case "No Reset On Close":
                return new FuzzSetup(name, () => Direct(b => b.NoResetOnClose = true));
            case "auto-prepare (Max Auto Prepare 20)":
                return new FuzzSetup(name, () => Direct(b => b.MaxAutoPrepare = 20));
            case "Enlist + TransactionScope":
                return new FuzzSetup(name, () => Direct(b => b.Enlist = true), TransactionScopes: true);
            case "Multiplexing":
                return new FuzzSetup(name, () => Direct(b => b.Multiplexing = true), AsyncOnly: true);
            case "PgBouncer transaction mode (pool 4)":
                _bouncer ??= await PgBouncer.StartAsync(_db, poolSize: 4);
                return new FuzzSetup(name, () => TenantDataSource.Create(new NpgsqlConnectionStringBuilder(_bouncer.AppConnectionString) { MaxPoolSize = 32, Timeout = 30 }.ConnectionString));
            case "session scope, direct":
                return new FuzzSetup(name, () => Direct(options: o => o.ContextScope = TenantContextScope.Session));
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, "unknown setup");
        }
    }

    private TenantDataSource Direct(Action<NpgsqlConnectionStringBuilder>? connection = null, Action<TenantOptions>? options = null) =>
        _db.CreateTenantDataSource(b =>
        {
            b.MaxPoolSize = 32;
            b.Timeout = 30;
            connection?.Invoke(b);
        }, options);

    private static long ReadVariable(string name, long fallback) =>
        long.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
}
