using System.Diagnostics;
using DapperTenants.Testing;
using DapperTenants.Tests.Reliability;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Replicas;

/// <summary>
/// Once around the replica fixtures (a set-up fixture of their namespace): a throwaway primary of their own, a streaming
/// standby of it, and one database with the orders of <see cref="OrdersDatabase"/> and the fuzz table of
/// <see cref="LeakFuzzer"/>, replayed on the standby before the first test.
/// </summary>
[SetUpFixture]
public sealed class ReplicaSetup
{
    private static PostgresServer? _primary;
    private static PostgresStandby? _standby;
    private static OrdersDatabase? _db;

    public static PostgresStandby Standby => _standby ?? throw new InvalidOperationException("The replica set-up did not run.");

    public static OrdersDatabase Db => _db ?? throw new InvalidOperationException("The replica set-up did not run.");

    /// <summary>Tenants of the fuzz table, four rows each (ids 1..4 for the first, and so on).</summary>
    public static LeakFuzzer Fuzz { get; } = new(tenants: 8);

    [OneTimeSetUp]
    public async Task StartPrimaryAndStandby()
    {
        var watch = Stopwatch.StartNew();
        _primary = await PostgresServer.StartLocalClusterAsync();
        var primaryStarted = watch.Elapsed;
        _db = await OrdersDatabase.CreateAsync(_primary, "replica");
        await _db.Database.ExecuteAsOwnerAsync(LeakFuzzer.Schema);
        await _db.Database.ExecuteAsAdminAsync(Fuzz.ResetSql());
        watch.Restart();
        _standby = await PostgresStandby.StartAsync(_primary);
        var standbyStarted = watch.Elapsed;
        await _standby.WaitForReplayAsync();
        await TestContext.Progress.WriteLineAsync(
            $"replicas: primary started in {primaryStarted.TotalSeconds:F2} s; standby copied and started in "
            + $"{standbyStarted.TotalSeconds:F2} s, caught up after {watch.Elapsed.TotalSeconds:F2} s: {_standby.Description}");
    }

    [OneTimeTearDown]
    public async Task StopBoth()
    {
        NpgsqlConnection.ClearAllPools();
        if (_standby is not null)
        {
            await _standby.DisposeAsync();
        }

        if (_db is not null)
        {
            await _db.DisposeAsync();
        }

        if (_primary is not null)
        {
            await _primary.DisposeAsync();
        }
    }

    /// <summary>The app login's connection string listing the primary, then the standby.</summary>
    public static string MultiHost(Action<NpgsqlConnectionStringBuilder>? configure = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(Standby.MultiHost(Db.Database.AppConnectionString));
        configure?.Invoke(builder);
        return builder.ConnectionString;
    }

    /// <summary>The app login's connection string for the standby alone.</summary>
    public static string StandbyOnly(string? connectionString = null) => Standby.Through(connectionString ?? Db.Database.AppConnectionString);
}
