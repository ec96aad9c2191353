using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Reliability;

/// <summary>
/// The leak fuzzer against every pooling setup. CI runs a bounded number of sessions per setup;
/// <c>DAPPER_TENANTS_FUZZ_OPS</c> sets another (for example 20000 for a long run). Figures go to the test output.
/// </summary>
[Category(Categories.Database)]
[NonParallelizable]
public class LeakFuzzerTests
{
    private const int Workers = 16;
    private const int Tenants = 50;
    private static readonly int Sessions = int.TryParse(Environment.GetEnvironmentVariable("DAPPER_TENANTS_FUZZ_OPS"), out var n) && n > 0 ? n : 300;

    private TestDatabase _db = null!;
    private LeakFuzzer _fuzzer = null!;
    private PgBouncer? _bouncer;
    private static readonly List<FuzzReport> Reports = [];

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await TestServer.CreateDatabaseAsync("fuzz");
        _fuzzer = new LeakFuzzer(Tenants);
        await _db.ExecuteAsOwnerAsync(LeakFuzzer.Schema);
        await _db.ExecuteAsAdminAsync(_fuzzer.SeedSql());
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        foreach (var report in Reports)
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

    private TenantDataSource Direct(Action<NpgsqlConnectionStringBuilder>? connection = null, Action<TenantOptions>? options = null) =>
        _db.CreateTenantDataSource(b =>
        {
            b.MaxPoolSize = 32;
            b.Timeout = 30;
            connection?.Invoke(b);
        }, options);

    private static IEnumerable<TestCaseData> Setups() =>
    [
        new TestCaseData("Npgsql default pool").SetName("No_tenant_sees_another_tenants_rows_with_the_default_pool"),
        new TestCaseData("Maximum Pool Size 4 (< 16 workers)").SetName("No_tenant_sees_another_tenants_rows_with_a_pool_smaller_than_the_workers"),
        new TestCaseData("No Reset On Close").SetName("No_tenant_sees_another_tenants_rows_without_reset_on_close"),
        new TestCaseData("auto-prepare (Max Auto Prepare 20)").SetName("No_tenant_sees_another_tenants_rows_with_auto_prepare"),
        new TestCaseData("Enlist + TransactionScope").SetName("No_tenant_sees_another_tenants_rows_in_TransactionScopes"),
        new TestCaseData("Multiplexing").SetName("No_tenant_sees_another_tenants_rows_with_multiplexing"),
        new TestCaseData("PgBouncer transaction mode (pool 4)").SetName("No_tenant_sees_another_tenants_rows_behind_PgBouncer_in_transaction_mode"),
        new TestCaseData("session scope, direct").SetName("No_tenant_sees_another_tenants_rows_in_session_scope"),
    ];

    [TestCaseSource(nameof(Setups))]
    public async Task No_leak(string name)
    {
        var setup = await SetupAsync(name);
        var report = await _fuzzer.RunAsync(setup, Workers, Sessions, seed: name.Length);
        await LeakFuzzer.VerifyAsync(_db.AdminConnectionString, report);
        lock (Reports)
        {
            Reports.Add(report);
        }

        await TestContext.Out.WriteLineAsync(report.ToString());
        report.Unexpected.ShouldBeEmpty(string.Join(Environment.NewLine, report.Unexpected.Take(5)));
        report.Leaks.ShouldBeEmpty(string.Join(Environment.NewLine, report.Leaks.Take(5)));
        report.Operations.ShouldBeGreaterThan(Sessions, "every session runs at least one operation");
        report.RowsChecked.ShouldBeGreaterThan(0);
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
}
