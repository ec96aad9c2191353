using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Connections;

/// <summary>
/// What exists only on the asynchronous path, so these tests are not part of the sync/async fixtures: Npgsql
/// multiplexing (async only) and a <see cref="CommandDefinition"/>'s cancellation token (Dapper's sync calls ignore it).
/// </summary>
[Category(Categories.Database)]
public class AsyncOnlyTests
{
    private const string Seed = "select id, tenant, total, note from orders where id < 10000";
    private OrdersDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await OrdersDatabase.CreateAsync("async_only");

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        NpgsqlConnection.ClearAllPools();
        await _db.DisposeAsync();
    }

    [Test]
    public async Task Transaction_scope_keeps_three_tenants_apart_when_multiplexing_puts_their_statements_on_one_server_session()
    {
        // One physical connection: every statement of every tenant goes through the same server session, interleaved.
        await using var tenants = _db.CreateTenants(b => (b.Multiplexing, b.MaxPoolSize) = (true, 1));
        (string Tenant, int[] Ids)[] expected = [(OrdersDatabase.Acme, [1, 2, 3, 4, 5]), (OrdersDatabase.Globex, [101, 102, 103]), (OrdersDatabase.Initech, [201, 202])];
        var runs = await Task.WhenAll(Enumerable.Range(0, 60).Select(async i =>
        {
            var (tenant, _) = expected[i % expected.Length];
            await using var connection = await tenants.OpenAsync(tenant);
            var rows = (await connection.QueryAsync<(int Id, string Tenant, int Session)>(
                "select id, tenant, pg_backend_pid() from orders where id < 10000 order by id")).ToList();
            return (Tenant: tenant, Rows: rows);
        }));

        runs.SelectMany(r => r.Rows.Select(row => row.Session)).Distinct().Count().ShouldBe(1, "all 60 statements shared one server session");
        foreach (var run in runs)
        {
            run.Rows.Select(r => r.Id).ShouldBe(expected.Single(e => e.Tenant == run.Tenant).Ids, $"{run.Tenant} sees exactly its rows");
            run.Rows.ShouldAllBe(r => r.Tenant == run.Tenant);
        }
    }

    [Test]
    public async Task CommandDefinition_honours_its_cancellation_token_while_the_statement_runs()
    {
        const string sleep = "select pg_sleep(30)";
        await using var tenants = _db.CreateTenants(b => b.CancellationTimeout = 0);
        await using var connection = await tenants.OpenAsync(OrdersDatabase.Acme);
        using var cancel = new CancellationTokenSource();
        var running = connection.ExecuteAsync(new CommandDefinition(sleep, cancellationToken: cancel.Token));
        await WaitUntilRunningAsync(connection.InnerConnection.ProcessID, sleep);

        await cancel.CancelAsync();

        var error = await Should.ThrowAsync<OperationCanceledException>(() => running);
        error.CancellationToken.ShouldBe(cancel.Token, "the caller's token cancelled it");
        connection.State.ShouldBe(System.Data.ConnectionState.Open, "the server answered the cancellation; the lease goes on");
        (await connection.QueryAsync<Order>(new CommandDefinition(Seed, cancellationToken: CancellationToken.None))).Select(o => o.Tenant).Distinct()
            .ShouldBe([OrdersDatabase.Acme]);
    }

    private async Task WaitUntilRunningAsync(int processId, string sql)
    {
        await using var admin = new NpgsqlConnection(_db.Database.AdminConnectionString);
        await admin.OpenAsync();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!await admin.ExecuteScalarAsync<bool>(
            "select exists (select from pg_stat_activity where pid = @processId and state = 'active' and query = @sql)", new { processId, sql }))
        {
            waited.Elapsed.ShouldBeLessThan(TimeSpan.FromMinutes(2), $"backend {processId} never ran '{sql}'");
            await Task.Delay(10);
        }
    }
}
