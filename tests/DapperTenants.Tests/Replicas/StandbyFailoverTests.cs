using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Replicas;

/// <summary>The standby stops and starts again under read-only leases: reads move to the primary and back, and no tenant ever sees another's row.</summary>
[Category(Categories.Database)]
[NonParallelizable]
public class StandbyFailoverTests
{
    private const string Rows = "select pg_is_in_recovery(), tenant from orders where id < 10000";
    private static readonly string[] Tenants = [OrdersDatabase.Acme, OrdersDatabase.Globex, OrdersDatabase.Initech];

    [Test]
    public async Task Reads_go_to_the_primary_while_the_standby_is_down_and_back_when_it_returns_with_no_row_of_another_tenant()
    {
        // Host Recheck Seconds: how soon Npgsql tries a server it saw down again (10 s by default).
        await using var tenants = TenantDataSource.Create(ReplicaSetup.MultiHost(b =>
        {
            b.HostRecheckSeconds = 1;
            b.Timeout = 3;
        }));
        var multiHost = (NpgsqlMultiHostDataSource)NpgsqlDataSource.Create(ReplicaSetup.MultiHost(b =>
        {
            b.HostRecheckSeconds = 1;
            b.Timeout = 3;
        }));
        await using var strict = new TenantDataSource(multiHost.WithTargetSession(TargetSessionAttributes.Standby));
        var wrongRows = 0;
        var checkedRows = 0;

        async Task<bool?> ReadAsync(TenantDataSource source, string tenant, bool readOnly)
        {
            await using var connection = readOnly ? await source.OpenReadOnlyAsync(tenant) : await source.OpenAsync(tenant);
            var rows = (await connection.QueryAsync<(bool OnStandby, string Tenant)>(Rows)).ToList();
            rows.Count.ShouldBeGreaterThan(0);
            Interlocked.Add(ref wrongRows, rows.Count(r => r.Tenant != tenant));
            Interlocked.Add(ref checkedRows, rows.Count);
            return rows.Select(r => r.OnStandby).Distinct().Single();
        }

        // Warm both pools: three concurrent leases leave three idle connections to the standby.
        var warm = await Task.WhenAll(Tenants.Select(t => ReadAsync(tenants, t, readOnly: true)));
        warm.ShouldAllBe(onStandby => onStandby == true);
        (await ReadAsync(strict, OrdersDatabase.Acme, readOnly: false)).ShouldBe(true);

        await ReplicaSetup.Standby.StopAsync();
        var failures = new List<NpgsqlException>();
        try
        {
            var onPrimary = 0;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            for (var i = 0; onPrimary < 20; i++)
            {
                watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30), "reads did not move to the primary");
                try
                {
                    var onStandby = await ReadAsync(tenants, Tenants[i % Tenants.Length], readOnly: true);
                    onStandby.ShouldBe(false, "the standby is down");
                    onPrimary++;
                }
                catch (NpgsqlException ex)
                {
                    // A pooled connection to the stopped standby fails its statement, once; Npgsql then marks the host down.
                    failures.Add(ex);
                }
            }

            failures.Count.ShouldBeLessThanOrEqualTo(warm.Length, string.Join(Environment.NewLine, failures.Select(f => f.Message)));
            failures.ShouldAllBe(f => f.IsTransient || (f is PostgresException && ((PostgresException)f).SqlState == PostgresErrorCodes.AdminShutdown));

            // Target Session Attributes=standby, the strict alternative: no standby, no lease. Its idle connection to the
            // stopped standby fails first, then Npgsql finds no suitable host: every read fails, none reaches the primary.
            NpgsqlException? strictFailure = null;
            for (var i = 0; i < 3; i++)
            {
                strictFailure = await Should.ThrowAsync<NpgsqlException>(() => ReadAsync(strict, OrdersDatabase.Globex, readOnly: false));
            }

            strictFailure!.Message.ShouldBe("No suitable host was found.");
        }
        finally
        {
            await ReplicaSetup.Standby.StartAgainAsync();
        }

        var back = System.Diagnostics.Stopwatch.StartNew();
        var reads = 0;
        while (true)
        {
            back.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30), "reads did not return to the standby");
            reads++;
            if (await ReadAsync(tenants, Tenants[reads % Tenants.Length], readOnly: true) == true)
            {
                break;
            }

            await Task.Delay(20);
        }

        await TestContext.Progress.WriteLineAsync(
            $"replicas: standby stopped and started again; {failures.Count} read(s) failed on dead standby connections, "
            + $"reads returned to the standby after {reads} read(s) ({back.ElapsedMilliseconds} ms); {checkedRows} rows checked, {wrongRows} of another tenant");
        wrongRows.ShouldBe(0);

        // The strict data source serves again once Npgsql rechecks the host.
        var strictBack = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                (await ReadAsync(strict, OrdersDatabase.Initech, readOnly: false)).ShouldBe(true);
                break;
            }
            catch (NpgsqlException) when (strictBack.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }
        }

        wrongRows.ShouldBe(0);
        await multiHost.DisposeAsync();
    }
}
