using System.Diagnostics;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Reliability;

/// <summary>Faults injected on the server and the network: the caller sees an error, the pool recovers, and no tenant's context reaches another.</summary>
[Category(Categories.Database)]
[NonParallelizable]
public class FaultTests
{
    private const string Seed = "select id, tenant, total, note from orders where id < 10000 order by id";

    /// <summary>How long a wait for a condition may take before the test gives up: a guard against hangs, not a measurement.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private OrdersDatabase _db = null!;

    /// <summary>Faults injected whose test then passed every survival check (counted at the end of each test).</summary>
    private static int _survived;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await OrdersDatabase.CreateAsync("faults");

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await TestContext.Progress.WriteLineAsync($"faults injected and survived: {_survived}");
        NpgsqlConnection.ClearAllPools();
        await _db.DisposeAsync();
    }

    private async Task TerminateAsync(int processId)
    {
        await using var admin = new NpgsqlConnection(_db.Database.AdminConnectionString);
        await admin.OpenAsync();
        (await admin.ExecuteScalarAsync<bool>("select pg_terminate_backend(@processId)", new { processId })).ShouldBeTrue();
    }

    private static void Survived() => Interlocked.Increment(ref _survived);

    /// <summary>
    /// Tenant data sources whose connections wait for the server's answer to a cancellation however long it takes
    /// (<c>Cancellation Timeout=0</c>): with the default 2 s, a late answer on a loaded machine makes Npgsql break the
    /// connection, and a test that goes on using it would fail for the machine's sake.
    /// </summary>
    private TenantDataSource PatientTenants(TenantContextScope scope) =>
        _db.CreateTenants(b => (b.MaxPoolSize, b.CancellationTimeout) = (1, 0), o => o.ContextScope = scope);

    /// <summary>Waits until the server shows <paramref name="processId"/> running <paramref name="sql"/>: the statement was sent and runs.</summary>
    private async Task WaitUntilRunningAsync(int processId, string sql)
    {
        await using var admin = new NpgsqlConnection(_db.Database.AdminConnectionString);
        await admin.OpenAsync();
        await WaitUntilAsync(async () => await admin.ExecuteScalarAsync<bool>(
            "select exists (select from pg_stat_activity where pid = @processId and state = 'active' and query = @sql)", new { processId, sql }),
            $"backend {processId} runs '{sql}'");
    }

    [Test]
    public async Task A_backend_killed_in_a_transaction_fails_the_caller_and_the_next_tenant_sees_only_its_rows()
    {
        await using var tenants = _db.CreateTenants(b => b.MaxPoolSize = 1);
        var id = _db.NextId();
        int killed;
        await using (var acme = await tenants.OpenAsync(OrdersDatabase.Acme))
        {
            await using var transaction = await acme.BeginTransactionAsync();
            await acme.ExecuteAsync("insert into orders (id, total) values (@id, 1)", new { id }, transaction);
            killed = acme.InnerConnection.ProcessID;
            await TerminateAsync(killed);
            await Should.ThrowAsync<NpgsqlException>(() => acme.QueryAsync<Order>(Seed, transaction: transaction));
            acme.State.ShouldBe(System.Data.ConnectionState.Closed, "Npgsql broke the connection whose backend was killed");
        }

        await using var globex = await tenants.OpenAsync(OrdersDatabase.Globex);
        globex.InnerConnection.ProcessID.ShouldNotBe(killed);
        (await globex.QueryAsync<Order>(Seed)).Select(o => o.Id).ShouldBe([101, 102, 103]);
        (await _db.AllOrdersAsync()).ShouldNotContain(o => o.Id == id, "the killed transaction was rolled back");
        Survived();
    }

    [Test]
    public async Task A_backend_killed_under_an_open_reader_fails_the_caller_and_the_pool_recovers()
    {
        await using var tenants = _db.CreateTenants(b => b.MaxPoolSize = 1);
        int killed;
        await using (var acme = tenants.Open(OrdersDatabase.Acme))
        {
            killed = acme.InnerConnection.ProcessID;
            var rows = 0;
            var error = await Should.ThrowAsync<PostgresException>(async () =>
            {
                await using var reader = await acme.ExecuteReaderAsync("select id, repeat($$x$$, 20000), pg_sleep(0.05) from orders, generate_series(1, 40)");
                (await reader.ReadAsync()).ShouldBeTrue();
                await TerminateAsync(killed);
                while (await reader.ReadAsync())
                {
                    rows++;
                }
            });
            error.SqlState.ShouldBe(PostgresErrorCodes.AdminShutdown, "the server ended the backend: terminating connection due to administrator command");
            rows.ShouldBeLessThan(199, "the reader stopped before the end of its 200 rows");
        }

        await using var initech = await tenants.OpenAsync(OrdersDatabase.Initech);
        initech.InnerConnection.ProcessID.ShouldNotBe(killed);
        (await initech.QueryAsync<Order>(Seed)).Select(o => o.Id).ShouldBe([201, 202]);
        Survived();
    }

    [TestCase(TenantContextScope.Transaction)]
    [TestCase(TenantContextScope.Session)]
    public async Task A_timeout_during_the_batch_never_applies_the_tenant_to_a_later_statement_by_mistake(TenantContextScope scope)
    {
        await using var tenants = PatientTenants(scope);
        int session;
        await using (var acme = tenants.Open(OrdersDatabase.Acme))
        {
            session = acme.InnerConnection.ProcessID;
            var error = Should.Throw<NpgsqlException>(() => acme.Execute(new CommandDefinition("select pg_sleep(5)", commandTimeout: 1)));
            error.InnerException.ShouldBeOfType<TimeoutException>();
            acme.State.ShouldBe(System.Data.ConnectionState.Open, "the server answered the cancellation, so the lease goes on");
            acme.Query<Order>(Seed).Select(o => o.Tenant).Distinct().ShouldBe([OrdersDatabase.Acme], "the same lease still runs as acme");
        }

        await using var globex = tenants.Open(OrdersDatabase.Globex);
        globex.InnerConnection.ProcessID.ShouldBe(session, "globex got the server session the timed-out batch ran on");
        globex.Query<Order>(Seed).Select(o => o.Id).ShouldBe([101, 102, 103]);
        Survived();
    }

    [TestCase(TenantContextScope.Transaction)]
    [TestCase(TenantContextScope.Session)]
    public async Task A_first_statement_cancelled_while_it_runs_leaves_no_context_behind(TenantContextScope scope)
    {
        const string sleep = "select pg_sleep(5)";
        await using var tenants = PatientTenants(scope);
        int session;
        await using (var acme = await tenants.OpenAsync(OrdersDatabase.Acme))
        {
            session = acme.InnerConnection.ProcessID;
            using var cancel = new CancellationTokenSource();
            var running = acme.ExecuteAsync(new CommandDefinition(sleep, cancellationToken: cancel.Token));
            await WaitUntilRunningAsync(session, sleep);
            await cancel.CancelAsync();
            await Should.ThrowAsync<OperationCanceledException>(() => running);
            acme.State.ShouldBe(System.Data.ConnectionState.Open);
            var setting = await acme.InnerConnection.ExecuteScalarAsync<string?>("select current_setting('dapper_tenants.tenant', true)");
            (setting ?? string.Empty).ShouldBe(string.Empty, "the cancelled batch's set_config was rolled back with it");
            (await acme.QueryAsync<Order>(Seed)).Select(o => o.Tenant).Distinct().ShouldBe([OrdersDatabase.Acme]);
        }

        await using var globex = await tenants.OpenAsync(OrdersDatabase.Globex);
        globex.InnerConnection.ProcessID.ShouldBe(session);
        (await globex.QueryAsync<Order>(Seed)).Select(o => o.Id).ShouldBe([101, 102, 103]);
        Survived();
    }

    [Test]
    public async Task A_client_cut_off_behind_PgBouncer_mid_transaction_leaves_nothing_for_the_next_client()
    {
        await using var bouncer = await PgBouncer.StartAsync(_db.Database, poolSize: 1);
        await using var cutter = new RoundTripCounter("127.0.0.1", bouncer.Port);
        var cut = new NpgsqlConnectionStringBuilder(bouncer.AppConnectionString) { Port = cutter.Port, Pooling = false }.ConnectionString;
        var id = _db.NextId();
        await using (var tenants = TenantDataSource.Create(cut))
        {
            var acme = await tenants.OpenAsync(OrdersDatabase.Acme);
            var transaction = await acme.BeginTransactionAsync();
            await acme.ExecuteAsync("insert into orders (id, total) values (@id, 1)", new { id }, transaction);
            (await acme.QueryAsync<Order>(Seed, transaction: transaction)).Count().ShouldBe(5);
            cutter.DropConnections();
            var error = await Should.ThrowAsync<NpgsqlException>(() => acme.QueryAsync<Order>(Seed, transaction: transaction));
            error.ShouldNotBeOfType<PostgresException>("the network failed; no server answered");
            await acme.DisposeAsync();
        }

        await using var plain = new NpgsqlConnection(bouncer.AppConnectionString);
        await plain.OpenAsync();
        (await plain.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(0, "the one server session carries no tenant");
        await using var globexSource = TenantDataSource.Create(bouncer.AppConnectionString);
        await using var globex = await globexSource.OpenAsync(OrdersDatabase.Globex);
        (await globex.QueryAsync<Order>(Seed)).Select(o => o.Id).ShouldBe([101, 102, 103]);
        (await _db.AllOrdersAsync()).ShouldNotContain(o => o.Id == id, "the cut transaction never committed");
        Survived();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            watch.Elapsed.ShouldBeLessThan(Patience, $"waited {Patience.TotalSeconds:0} s and still not: {what}");
            await Task.Delay(10);
        }
    }

    private static Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);

    [Test]
    public async Task A_server_restart_under_load_fails_calls_while_down_and_isolates_after()
    {
        const int workers = 8;
        await using var server = await PostgresServer.StartLocalClusterAsync();
        await using var db = await OrdersDatabase.CreateAsync(server, "restart");
        await using var tenants = db.CreateTenants(b =>
        {
            b.MaxPoolSize = workers;
            b.Timeout = 2;
        });
        string[] names = [OrdersDatabase.Acme, OrdersDatabase.Globex, OrdersDatabase.Initech];
        var phase = (int)Phase.Before;
        var failures = new long[3];
        var successes = new long[3];
        var successesAfterPerWorker = new long[workers];
        long leaks = 0;
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            while (!stop.IsCancellationRequested)
            {
                var tenant = names[random.Next(names.Length)];
                var during = (Phase)Volatile.Read(ref phase);
                try
                {
                    await using var connection = await tenants.OpenAsync(tenant);
                    var id = db.NextId();
                    await connection.ExecuteAsync("insert into orders (id, total, note) values (@id, 1, @note)", new { id, note = tenant });
                    var rows = await connection.QueryAsync<Order>("select id, tenant, total, note from orders");
                    Interlocked.Add(ref leaks, rows.Count(r => r.Tenant != tenant));
                    Interlocked.Increment(ref successes[(int)during]);
                    if (during == Phase.After)
                    {
                        Interlocked.Increment(ref successesAfterPerWorker[w]);
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
                {
                    Interlocked.Increment(ref failures[(int)during]);
                    await Task.Delay(20);
                }
            }
        })).ToList();

        try
        {
            await WaitUntilAsync(() => Interlocked.Read(ref successes[(int)Phase.Before]) >= workers, "the load runs");
            Volatile.Write(ref phase, (int)Phase.Down);
            await server.StopAsync();
            await WaitUntilAsync(() => Interlocked.Read(ref failures[(int)Phase.Down]) >= workers, "calls fail while the server is down");
            await server.StartAgainAsync();
            Volatile.Write(ref phase, (int)Phase.After);
            await WaitUntilAsync(() => Enumerable.Range(0, workers).All(w => Interlocked.Read(ref successesAfterPerWorker[w]) > 0), "every worker succeeds again after the restart");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(load);
        }

        leaks.ShouldBe(0);
        var written = (await db.AllOrdersAsync()).Where(o => o.Id >= 10_000).ToList();
        var wrong = written.Count(o => o.Note != o.Tenant);
        wrong.ShouldBe(0, "nothing was written under the wrong tenant");
        Survived();
        await TestContext.Progress.WriteLineAsync(
            $"restart under load: {failures[(int)Phase.Down]} calls failed while the server was down, {failures[(int)Phase.After]} failed after the restart, "
            + $"{successes[(int)Phase.After]} succeeded after it, {written.Count} rows written, {wrong} under the wrong tenant, {leaks} foreign rows read");
    }

    private enum Phase
    {
        Before,
        Down,
        After,
    }
}
