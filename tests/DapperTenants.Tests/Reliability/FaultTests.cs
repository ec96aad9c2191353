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
    private OrdersDatabase _db = null!;
    private static int _faults;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await OrdersDatabase.CreateAsync("faults");

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await TestContext.Progress.WriteLineAsync($"faults injected and survived: {_faults}");
        NpgsqlConnection.ClearAllPools();
        await _db.DisposeAsync();
    }

    private async Task TerminateAsync(int processId)
    {
        await using var admin = new NpgsqlConnection(_db.Database.AdminConnectionString);
        await admin.OpenAsync();
        (await admin.ExecuteScalarAsync<bool>("select pg_terminate_backend(@processId)", new { processId })).ShouldBeTrue();
        Interlocked.Increment(ref _faults);
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
        }

        await using var globex = await tenants.OpenAsync(OrdersDatabase.Globex);
        globex.InnerConnection.ProcessID.ShouldNotBe(killed);
        (await globex.QueryAsync<Order>(Seed)).Select(o => o.Id).ShouldBe([101, 102, 103]);
        (await _db.AllOrdersAsync()).ShouldNotContain(o => o.Id == id, "the killed transaction was rolled back");
    }

    [Test]
    public async Task A_backend_killed_under_an_open_reader_fails_the_caller_and_the_pool_recovers()
    {
        await using var tenants = _db.CreateTenants(b => b.MaxPoolSize = 1);
        await using (var acme = tenants.Open(OrdersDatabase.Acme))
        {
            var error = await Should.ThrowAsync<NpgsqlException>(async () =>
            {
                await using var reader = await acme.ExecuteReaderAsync("select id, repeat($$x$$, 20000), pg_sleep(0.05) from orders, generate_series(1, 40)");
                (await reader.ReadAsync()).ShouldBeTrue();
                await TerminateAsync(acme.InnerConnection.ProcessID);
                while (await reader.ReadAsync())
                {
                }
            });
            error.ShouldNotBeNull();
        }

        await using var initech = await tenants.OpenAsync(OrdersDatabase.Initech);
        (await initech.QueryAsync<Order>(Seed)).Select(o => o.Id).ShouldBe([201, 202]);
    }

    [TestCase(TenantContextScope.Transaction)]
    [TestCase(TenantContextScope.Session)]
    public async Task A_timeout_during_the_batch_never_applies_the_tenant_to_a_later_statement_by_mistake(TenantContextScope scope)
    {
        await using var tenants = _db.CreateTenants(b => b.MaxPoolSize = 1, o => o.ContextScope = scope);
        await using (var acme = tenants.Open(OrdersDatabase.Acme))
        {
            Should.Throw<NpgsqlException>(() => acme.Execute(new CommandDefinition("select pg_sleep(5)", commandTimeout: 1)));
            Interlocked.Increment(ref _faults);
            acme.Query<Order>(Seed).Select(o => o.Tenant).Distinct().ShouldBe([OrdersDatabase.Acme], "the same lease still runs as acme");
        }

        await using var globex = tenants.Open(OrdersDatabase.Globex);
        globex.Query<Order>(Seed).Select(o => o.Id).ShouldBe([101, 102, 103]);
    }

    [TestCase(TenantContextScope.Transaction)]
    [TestCase(TenantContextScope.Session)]
    public async Task A_cancelled_first_statement_leaves_no_context_behind(TenantContextScope scope)
    {
        await using var tenants = _db.CreateTenants(b => b.MaxPoolSize = 1, o => o.ContextScope = scope);
        await using (var acme = await tenants.OpenAsync(OrdersDatabase.Acme))
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(150));
            await Should.ThrowAsync<OperationCanceledException>(() => acme.ExecuteAsync(new CommandDefinition("select pg_sleep(5)", cancellationToken: cancel.Token)));
            Interlocked.Increment(ref _faults);
            var setting = await acme.InnerConnection.ExecuteScalarAsync<string?>("select current_setting('dapper_tenants.tenant', true)");
            (setting ?? string.Empty).ShouldBe(string.Empty, "the cancelled batch's set_config was rolled back with it");
            (await acme.QueryAsync<Order>(Seed)).Select(o => o.Tenant).Distinct().ShouldBe([OrdersDatabase.Acme]);
        }

        await using var globex = await tenants.OpenAsync(OrdersDatabase.Globex);
        (await globex.QueryAsync<Order>(Seed)).Select(o => o.Id).ShouldBe([101, 102, 103]);
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
            Interlocked.Increment(ref _faults);
            await Should.ThrowAsync<Exception>(() => acme.QueryAsync<Order>(Seed, transaction: transaction));
            await acme.DisposeAsync();
        }

        await using var plain = new NpgsqlConnection(bouncer.AppConnectionString);
        await plain.OpenAsync();
        (await plain.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(0, "the one server session carries no tenant");
        await using var globexSource = TenantDataSource.Create(bouncer.AppConnectionString);
        await using var globex = await globexSource.OpenAsync(OrdersDatabase.Globex);
        (await globex.QueryAsync<Order>(Seed)).Select(o => o.Id).ShouldBe([101, 102, 103]);
        (await _db.AllOrdersAsync()).ShouldNotContain(o => o.Id == id, "the cut transaction never committed");
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30), $"waited too long until {what}");
            await Task.Yield();
            await Task.Delay(10);
        }
    }

    [Test]
    public async Task A_server_restart_under_load_fails_calls_while_down_and_isolates_after()
    {
        await using var server = await PostgresServer.StartLocalClusterAsync();
        await using var db = await OrdersDatabase.CreateAsync(server, "restart");
        await using var tenants = db.CreateTenants(b =>
        {
            b.MaxPoolSize = 8;
            b.Timeout = 2;
        });
        string[] names = [OrdersDatabase.Acme, OrdersDatabase.Globex, OrdersDatabase.Initech];
        var phase = 0; // 0 before, 1 down, 2 after
        long failures = 0, successesBefore = 0, successesAfter = 0, leaks = 0;
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < TimeSpan.FromSeconds(30) && (Volatile.Read(ref phase) < 2 || Interlocked.Read(ref successesAfter) < 200))
            {
                var tenant = names[random.Next(names.Length)];
                try
                {
                    await using var connection = await tenants.OpenAsync(tenant);
                    var id = db.NextId();
                    await connection.ExecuteAsync("insert into orders (id, total, note) values (@id, 1, @note)", new { id, note = tenant });
                    var rows = await connection.QueryAsync<Order>("select id, tenant, total, note from orders");
                    if (rows.Any(r => r.Tenant != tenant))
                    {
                        Interlocked.Increment(ref leaks);
                    }

                    switch (Volatile.Read(ref phase))
                    {
                        case 0:
                            Interlocked.Increment(ref successesBefore);
                            break;
                        case 2:
                            Interlocked.Increment(ref successesAfter);
                            break;
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
                {
                    Interlocked.Increment(ref failures);
                    await Task.Delay(20);
                }
            }
        })).ToList();

        await WaitUntilAsync(() => Interlocked.Read(ref successesBefore) >= 100, "the load is running");
        await server.StopAsync();
        Volatile.Write(ref phase, 1);
        Interlocked.Increment(ref _faults);
        var failuresAtStop = Interlocked.Read(ref failures);
        await WaitUntilAsync(() => Interlocked.Read(ref failures) >= failuresAtStop + 50, "calls fail while the server is down");
        await server.StartAgainAsync();
        Volatile.Write(ref phase, 2);
        await Task.WhenAll(workers);

        failures.ShouldBeGreaterThan(0, "calls fail while the server is down");
        successesAfter.ShouldBeGreaterThanOrEqualTo(200, "the pool recovers after the restart");
        leaks.ShouldBe(0);
        var all = await db.AllOrdersAsync();
        all.Where(o => o.Id >= 10_000).ShouldAllBe(o => o.Note == o.Tenant, "nothing was written under the wrong tenant");
        await TestContext.Out.WriteLineAsync($"restart under load: {failures} calls failed while down, {successesAfter} succeeded after, {all.Count(o => o.Id >= 10_000)} rows written, 0 under the wrong tenant");
    }
}
