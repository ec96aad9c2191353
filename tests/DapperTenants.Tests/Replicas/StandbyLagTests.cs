using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Replicas;

/// <summary>Replication lag: a row written on the primary reaches the standby a little later, and only its tenant ever sees it there.</summary>
[Category(Categories.Database)]
public class StandbyLagTests
{
    private static OrdersDatabase Db => ReplicaSetup.Db;

    [Test]
    public async Task A_row_written_on_the_primary_becomes_visible_on_the_standby_to_its_tenant_only()
    {
        await using var tenants = TenantDataSource.Create(ReplicaSetup.MultiHost(b => b.TargetSessionAttributes = "primary"));
        var id = Db.NextId();
        await using (var writer = await tenants.OpenAsync(OrdersDatabase.Acme))
        {
            (await writer.ExecuteAsync("insert into orders (id, total, note) values (@id, 5, 'lag')", new { id })).ShouldBe(1);
        }

        // Wait on the condition itself: the row shows up through a read-only lease on the standby.
        var polls = 0;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            polls++;
            await using var reader = await tenants.OpenReadOnlyAsync(OrdersDatabase.Acme);
            var rows = (await reader.QueryAsync<(bool OnStandby, string Tenant)>(
                "select pg_is_in_recovery(), tenant from orders where id = @id", new { id })).ToList();
            rows.ShouldAllBe(r => r.OnStandby && r.Tenant == OrdersDatabase.Acme);
            if (rows.Count == 1)
            {
                break;
            }

            watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30), "the standby did not replay the row in time");
            await Task.Delay(5);
        }

        await TestContext.Progress.WriteLineAsync($"replicas: a committed row reached the standby after {polls} read(s), {watch.ElapsedMilliseconds} ms");
        foreach (var other in new[] { OrdersDatabase.Globex, OrdersDatabase.Initech })
        {
            await using var reader = await tenants.OpenReadOnlyAsync(other);
            (await reader.QueryAsync<bool>("select pg_is_in_recovery() from orders where id = @id", new { id })).ShouldBeEmpty();
            (await reader.ExecuteScalarAsync<bool>("select pg_is_in_recovery()")).ShouldBeTrue();
        }
    }

    [Test]
    public async Task After_WaitForReplayAsync_the_standby_has_every_row_committed_before_the_call()
    {
        var ids = Enumerable.Range(0, 5).Select(_ => Db.NextId()).ToArray();
        await Db.Database.ExecuteAsAdminAsync(
            "insert into orders (id, tenant, total, note) values " + string.Join(", ", ids.Select(i => $"({i}, 'globex', 1, 'replayed')")));
        await ReplicaSetup.Standby.WaitForReplayAsync();

        await using var standbyOnly = TenantDataSource.Create(ReplicaSetup.StandbyOnly());
        await using var globex = standbyOnly.OpenReadOnly(OrdersDatabase.Globex);
        globex.Query<int>("select id from orders where note = 'replayed' order by id").ShouldBe(ids);
        await using var acme = standbyOnly.OpenReadOnly(OrdersDatabase.Acme);
        acme.ExecuteScalar<long>("select count(*) from orders where note = 'replayed'").ShouldBe(0);
    }
}
