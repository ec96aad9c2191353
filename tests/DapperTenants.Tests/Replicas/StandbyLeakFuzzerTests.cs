using DapperTenants.Tests.Reliability;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Replicas;

/// <summary>
/// The leak fuzzer of <see cref="LeakFuzzerTests"/> over the primary and its streaming standby: half its sessions are
/// read-only leases served by the standby (every read shape, transactions, savepoints, failing statements, timeouts and
/// cancellations), the others read and write on the primary, so the standby replays the writes under the readers. Every
/// row read is checked against the lease's tenant; every row and canary afterwards on the primary, as in the pooling
/// setups. <c>DAPPER_TENANTS_FUZZ_OPS</c> and <c>DAPPER_TENANTS_FUZZ_SEED</c> apply.
/// </summary>
[Category(Categories.Database)]
[NonParallelizable]
public class StandbyLeakFuzzerTests
{
    /// <summary>Fewer than a pooling setup's: the standby's paths are the primary's, and the 2-core machine runs both servers.</summary>
    public const int DefaultOperations = 400;

    public const int Workers = 8;

    [Test]
    public async Task No_tenant_sees_another_tenants_rows_with_reads_on_the_standby()
    {
        var database = ReplicaSetup.Db.Database;
        var fuzzer = new LeakFuzzer(ReplicaSetup.Fuzz.Tenants.Count);
        var operations = LeakFuzzerTests.ReadVariable("DAPPER_TENANTS_FUZZ_OPS") ?? DefaultOperations;
        var seed = (int)(LeakFuzzerTests.ReadVariable("DAPPER_TENANTS_FUZZ_SEED") ?? LeakFuzzerTests.DefaultSeed) * 100 + 50;
        var setup = new FuzzSetup(
            "reads on a streaming standby (OpenReadOnly), writes on the primary",
            () => TenantDataSource.Create(ReplicaSetup.MultiHost(b =>
            {
                b.TargetSessionAttributes = "primary";
                b.MaxPoolSize = 32;
                b.Timeout = 30;
            })),
            ReadOnlySessions: true);

        // From the canaries alone, replayed; and back to them afterwards, so the other replica tests find the seed rows.
        await database.ExecuteAsAdminAsync(fuzzer.ResetSql());
        await ReplicaSetup.Standby.WaitForReplayAsync();
        FuzzReport report;
        try
        {
            report = await fuzzer.RunAsync(setup, Workers, operations, seed);
            await fuzzer.VerifyAsync(database.AdminConnectionString, report);
        }
        finally
        {
            await database.ExecuteAsAdminAsync(fuzzer.ResetSql());
            await ReplicaSetup.Standby.WaitForReplayAsync();
        }

        await TestContext.Progress.WriteLineAsync("leak fuzzer: " + report);
        await TestContext.Out.WriteLineAsync(report.FailureBreakdown());
        report.Unexpected.ShouldBeEmpty(string.Join(Environment.NewLine, report.Unexpected.Take(5)));
        report.Leaks.ShouldBeEmpty(string.Join(Environment.NewLine, report.Leaks.Take(5)));
        report.Operations.ShouldBeGreaterThanOrEqualTo(operations);
        report.CanariesVerified.ShouldBe(fuzzer.Tenants.Count * LeakFuzzer.CanariesPerTenant, "every canary is there, unchanged");
        report.RowsRead.ShouldBeGreaterThan(report.Reads, "reads through tenant connections return rows (more than one per read on average)");
        report.ForeignCounts.ShouldBeGreaterThan(0, "the count(*) probes of other tenants' rows ran");
        report.CollateralShare.ShouldBeLessThanOrEqualTo(LeakFuzzerTests.MaxCollateralShare, report.FailureBreakdown());
        report.DeliberateShare.ShouldBeLessThanOrEqualTo(LeakFuzzerTests.MaxDeliberateShare, report.FailureBreakdown());
        report.Succeeded.ShouldBeGreaterThan(report.Operations / 2, "most operations succeed");

        // The point of the setup: about half the sessions were read-only, and the standby served every one of them.
        report.ReadOnlySessions.ShouldBeGreaterThan(report.Sessions / 4);
        report.ReadOnlySessions.ShouldBeLessThan(report.Sessions);
        report.ReadOnlyOnStandby.ShouldBe(report.ReadOnlySessions, "every read-only lease ran on the standby");
    }
}
