using System.Globalization;
using DapperTenants.Testing;
using DapperTenants.Tests.Signed;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Reliability;

/// <summary>
/// The leak fuzzer against every pooling setup, with the raw setting and again under the signed context (a database of
/// its own whose policies the installer set up with <see cref="PolicyInstaller.UseSignedContext"/>). CI runs
/// <see cref="DefaultOperations"/> operations per raw-setting setup and <see cref="DefaultSignedOperations"/> per signed
/// one; <c>DAPPER_TENANTS_FUZZ_OPS</c> sets another number of operations for every setup (for example 20000 for a long
/// run) and <c>DAPPER_TENANTS_FUZZ_SEED</c> another base seed. Each setup prints one line of figures to the log.
/// </summary>
[Category(Categories.Database)]
[NonParallelizable]
public class LeakFuzzerTests
{
    public const int Workers = 16;
    public const int Tenants = 50;
    public const int DefaultOperations = 1000;

    /// <summary>The signed context's setups run the same code paths with a token instead of the tenant: fewer operations keep CI short.</summary>
    public const int DefaultSignedOperations = 400;

    public const int DefaultSeed = 1;

    /// <summary>The prefix of the signed context's setup names.</summary>
    public const string SignedPrefix = "signed context: ";

    /// <summary>At most this share of operations may fail as collateral damage (measured: under 4% in every setup).</summary>
    public const double MaxCollateralShare = 0.05;

    /// <summary>At most this share may fail on purpose (by construction about 20%: failing statements, timeouts, upserts onto foreign rows).</summary>
    public const double MaxDeliberateShare = 0.35;

    private static readonly long? OperationsOverride = ReadVariable("DAPPER_TENANTS_FUZZ_OPS");
    private static readonly int BaseSeed = (int)(ReadVariable("DAPPER_TENANTS_FUZZ_SEED") ?? DefaultSeed);
    private static readonly List<FuzzReport> Reports = [];

    private static readonly (string Name, string TestName)[] PoolingSetups =
    [
        ("Npgsql default pool", "with_the_default_pool"),
        ("Maximum Pool Size 4 (< 16 workers)", "with_a_pool_smaller_than_the_workers"),
        ("No Reset On Close", "without_reset_on_close"),
        ("auto-prepare (Max Auto Prepare 20)", "with_auto_prepare"),
        ("Enlist + TransactionScope", "in_TransactionScopes"),
        ("Multiplexing", "with_multiplexing"),
        ("PgBouncer transaction mode (pool 4)", "behind_PgBouncer_in_transaction_mode"),
        ("session scope, direct", "in_session_scope"),
    ];

    private TestDatabase _db = null!;
    private TestDatabase _signedDb = null!;
    private LeakFuzzer _fuzzer = null!;
    private PgBouncer? _bouncer;
    private PgBouncer? _signedBouncer;

    /// <summary>
    /// The setups, in order: every pooling setup with the raw setting, then again under the signed context. A setup's
    /// seed is <c>base seed × 100 + its position</c>.
    /// </summary>
    public static readonly (string Name, string TestName)[] Setups =
    [
        .. PoolingSetups.Select(s => (s.Name, "No_tenant_sees_another_tenants_rows_" + s.TestName)),
        .. PoolingSetups.Select(s => (SignedPrefix + s.Name, "No_tenant_sees_another_tenants_rows_under_the_signed_context_" + s.TestName)),
    ];

    /// <summary>The operations CI runs for a setup.</summary>
    public static int DefaultOperationsOf(string setup) => setup.StartsWith(SignedPrefix, StringComparison.Ordinal) ? DefaultSignedOperations : DefaultOperations;

    [OneTimeSetUp]
    public async Task CreateDatabases()
    {
        _fuzzer = new LeakFuzzer(Tenants);
        _db = await TestServer.CreateDatabaseAsync("fuzz");
        await _db.ExecuteAsOwnerAsync(LeakFuzzer.Schema);
        _signedDb = await TestServer.CreateDatabaseAsync("fuzz_signed");
        await _signedDb.ExecuteAsOwnerAsync(LeakFuzzer.BareSchema);
        await using var owner = _signedDb.CreateOwnerDataSource();
        await new PolicyInstaller(owner).Add<FuzzItem>().GrantTo(_signedDb.AppRole).UseSignedContext(SignedDatabase.Key).ApplyAsync();
    }

    [OneTimeTearDown]
    public async Task DropDatabases()
    {
        foreach (var report in Reports.OrderBy(r => r.Seed))
        {
            await TestContext.Progress.WriteLineAsync("leak fuzzer: " + report);
        }

        NpgsqlConnection.ClearAllPools();
        foreach (var bouncer in new[] { _bouncer, _signedBouncer }.OfType<PgBouncer>())
        {
            await bouncer.DisposeAsync();
        }

        await _db.DisposeAsync();
        await _signedDb.DisposeAsync();
    }

    private static IEnumerable<TestCaseData> SetupCases() => Setups.Select((s, i) => new TestCaseData(i + 1).SetName(s.TestName));

    [TestCaseSource(nameof(SetupCases))]
    public async Task No_leak(int position)
    {
        var name = Setups[position - 1].Name;
        var signed = name.StartsWith(SignedPrefix, StringComparison.Ordinal);
        var db = signed ? _signedDb : _db;

        // Every setup starts from the canaries alone, so what one setup did cannot fail the next.
        await db.ExecuteAsAdminAsync(_fuzzer.ResetSql());
        var setup = await SetupAsync(name, signed);
        var operations = OperationsOverride ?? DefaultOperationsOf(name);
        var report = await _fuzzer.RunAsync(setup, Workers, operations, seed: (BaseSeed * 100) + position);
        await _fuzzer.VerifyAsync(db.AdminConnectionString, report);
        lock (Reports)
        {
            Reports.Add(report);
        }

        await TestContext.Out.WriteLineAsync(report + Environment.NewLine + report.FailureBreakdown());
        report.Unexpected.ShouldBeEmpty(string.Join(Environment.NewLine, report.Unexpected.Take(5)));
        report.Leaks.ShouldBeEmpty(string.Join(Environment.NewLine, report.Leaks.Take(5)));
        report.Operations.ShouldBeGreaterThanOrEqualTo(operations);
        report.CanariesVerified.ShouldBe(Tenants * LeakFuzzer.CanariesPerTenant, "every canary is there, unchanged");

        // Floors and ceilings: a run where the tenant never reached the server (or its token never verified) reads
        // nothing and fails most writes.
        report.RowsRead.ShouldBeGreaterThan(report.Reads, "reads through tenant connections return rows (more than one per read on average)");
        report.ForeignCounts.ShouldBeGreaterThan(0, "the count(*) probes of other tenants' rows ran");
        report.CollateralShare.ShouldBeLessThanOrEqualTo(MaxCollateralShare, report.FailureBreakdown());
        report.DeliberateShare.ShouldBeLessThanOrEqualTo(MaxDeliberateShare, report.FailureBreakdown());
        report.Succeeded.ShouldBeGreaterThan(report.Operations / 2, "most operations succeed");
    }

    private async Task<FuzzSetup> SetupAsync(string name, bool signed)
    {
        var db = signed ? _signedDb : _db;
        void Sign(TenantOptions o) => o.SigningKey = signed ? SignedDatabase.Key : null;
        TenantDataSource Direct(Action<NpgsqlConnectionStringBuilder>? connection = null, Action<TenantOptions>? options = null) =>
            db.CreateTenantDataSource(b =>
            {
                b.MaxPoolSize = 32;
                b.Timeout = 30;
                connection?.Invoke(b);
            }, o =>
            {
                Sign(o);
                options?.Invoke(o);
            });

        switch (signed ? name[SignedPrefix.Length..] : name)
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
            {
                var bouncer = signed ? _signedBouncer ??= await PgBouncer.StartAsync(db, poolSize: 4) : _bouncer ??= await PgBouncer.StartAsync(db, poolSize: 4);
                return new FuzzSetup(name, () => TenantDataSource.Create(
                    new NpgsqlConnectionStringBuilder(bouncer.AppConnectionString) { MaxPoolSize = 32, Timeout = 30 }.ConnectionString, Sign));
            }

            case "session scope, direct":
                return new FuzzSetup(name, () => Direct(options: o => o.ContextScope = TenantContextScope.Session));
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, "unknown setup");
        }
    }

    internal static long? ReadVariable(string name) =>
        long.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : null;
}
