using System.Diagnostics;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Replicas;

/// <summary>
/// A small leak fuzzer on the standby: concurrent read-only leases for random tenants, in every read shape, while the
/// primary keeps writing rows that replay under them. Every row read is checked against the lease's tenant.
/// </summary>
[Category(Categories.Database)]
public class StandbyReadLoopTests
{
    private const string Rows = "select pg_is_in_recovery() as onstandby, id, tenant, payload from fuzz_items";

    [Test]
    public async Task Concurrent_reads_of_many_tenants_on_the_standby_never_see_another_tenants_row()
    {
        const int workers = 6;
        const int leasesPerWorker = 60;
        var names = ReplicaSetup.Fuzz.Tenants;
        await using var tenants = TenantDataSource.Create(ReplicaSetup.MultiHost(b =>
        {
            b.TargetSessionAttributes = "primary";
            b.MaxPoolSize = workers + 2;
        }));
        long leases = 0, rowsChecked = 0, wrongRows = 0, offStandby = 0, written = 0;
        var problems = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();

        void Check(string tenant, IEnumerable<Item> rows)
        {
            foreach (var row in rows)
            {
                Interlocked.Increment(ref rowsChecked);
                if (row.Tenant != tenant || !row.Payload.StartsWith(tenant + ":", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref wrongRows);
                    problems.Enqueue($"lease of {tenant} read row {row.Id} of {row.Tenant} ({row.Payload})");
                }

                if (!row.OnStandby)
                {
                    Interlocked.Increment(ref offStandby);
                }
            }
        }

        // The primary writes under random tenants meanwhile, so the standby replays while it is read.
        var writer = Task.Run(async () =>
        {
            var random = new Random(7);
            var id = 5_000_000L;
            while (!stop.IsCancellationRequested)
            {
                var tenant = names[random.Next(names.Count)];
                await using var connection = await tenants.OpenAsync(tenant);
                await connection.ExecuteAsync("insert into fuzz_items (id, payload) values (@id, @payload)", new { id = id++, payload = tenant + ":live" });
                Interlocked.Increment(ref written);
                await Task.Delay(2);
            }
        });

        var watch = Stopwatch.StartNew();
        var readers = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(100 + w);
            for (var i = 0; i < leasesPerWorker; i++)
            {
                var tenant = random.Next(10) == 0 ? "tenant-without-rows" : names[random.Next(names.Count)];
                var sync = random.Next(2) == 0;
                await using var connection = sync ? tenants.OpenReadOnly(tenant) : await tenants.OpenReadOnlyAsync(tenant);
                Interlocked.Increment(ref leases);
                switch (random.Next(5))
                {
                    case 0:
                        Check(tenant, sync ? connection.Query<Item>(Rows) : await connection.QueryAsync<Item>(Rows));
                        break;
                    case 1:
                        // Another tenant's id: the policy hides it.
                        var other = names[random.Next(names.Count)];
                        var firstOfOther = (names.ToList().IndexOf(other) * 4) + 1;
                        var found = await connection.QueryFirstOrDefaultAsync<Item>(Rows + " where id = @id", new { id = firstOfOther });
                        Check(tenant, found is null ? [] : [found]);
                        break;
                    case 2:
                        await using (var transaction = await connection.BeginTransactionAsync())
                        {
                            Check(tenant, await connection.QueryAsync<Item>(Rows + " where id % 2 = 0", transaction: transaction));
                            Check(tenant, await connection.QueryAsync<Item>(Rows + " where id % 2 = 1", transaction: transaction));
                        }

                        break;
                    case 3:
                        Check(tenant, connection.Query<Item>(Rows + " order by id", buffered: false).ToList());
                        break;
                    default:
                        await using (var grid = await connection.QueryMultipleAsync(Rows + " where id < 100; " + Rows + " where id >= 100"))
                        {
                            Check(tenant, await grid.ReadAsync<Item>());
                            Check(tenant, await grid.ReadAsync<Item>());
                        }

                        break;
                }
            }
        })).ToList();
        try
        {
            await Task.WhenAll(readers);
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }

        // And the standby caught up holds exactly the primary's rows per tenant.
        await ReplicaSetup.Standby.WaitForReplayAsync();
        foreach (var tenant in names)
        {
            await using var primary = await tenants.OpenAsync(tenant);
            await using var standby = await tenants.OpenReadOnlyAsync(tenant);
            (await standby.ExecuteScalarAsync<long>("select count(*) from fuzz_items"))
                .ShouldBe(await primary.ExecuteScalarAsync<long>("select count(*) from fuzz_items"), tenant);
        }

        await TestContext.Progress.WriteLineAsync(
            $"replicas: read loop, {workers} workers, {leases} read-only leases in {watch.ElapsedMilliseconds} ms while the primary wrote {written} rows; "
            + $"{rowsChecked} rows checked, {wrongRows} of another tenant, {offStandby} not read on the standby");
        problems.ShouldBeEmpty();
        wrongRows.ShouldBe(0);
        offStandby.ShouldBe(0);
        rowsChecked.ShouldBeGreaterThan(leases);
        written.ShouldBeGreaterThan(0);
    }

    private sealed record Item(bool OnStandby, long Id, string Tenant, string Payload);
}
