using System.Transactions;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Connections;

[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync)]
[TestFixture(SyncOrAsync.Async)]
public class IsolationTests(SyncOrAsync mode)
{
    private OrdersDatabase _db = null!;

    private bool Async => mode == SyncOrAsync.Async;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await OrdersDatabase.CreateAsync("isolation");

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    private async Task<TenantConnection> OpenAsync(TenantDataSource tenants, string tenant) =>
        Async ? await tenants.OpenAsync(tenant) : tenants.Open(tenant);

    private async Task<List<Order>> OrdersAsync(TenantConnection connection) => Async
        ? (await connection.QueryAsync<Order>("select id, tenant, total, note from orders where id < 10000 order by id")).ToList()
        : connection.Query<Order>("select id, tenant, total, note from orders where id < 10000 order by id").ToList();

    private async Task<int> ExecuteAsync(TenantConnection connection, string sql, object? parameters = null) => Async
        ? await connection.ExecuteAsync(sql, parameters)
        : connection.Execute(sql, parameters);

    [Test]
    public async Task Tenant_reads_only_its_own_rows()
    {
        await using var tenants = _db.CreateTenants();
        await using var acme = await OpenAsync(tenants, OrdersDatabase.Acme);
        var rows = await OrdersAsync(acme);
        rows.Select(r => r.Id).ShouldBe([1, 2, 3, 4, 5]);
        rows.ShouldAllBe(r => r.Tenant == OrdersDatabase.Acme);
    }

    [Test]
    public async Task Update_and_delete_cannot_touch_rows_of_another_tenant()
    {
        await using var tenants = _db.CreateTenants();
        await using var acme = await OpenAsync(tenants, OrdersDatabase.Acme);
        (await ExecuteAsync(acme, "update orders set note = 'hacked' where id in (101, 102, 103)")).ShouldBe(0);
        (await ExecuteAsync(acme, "delete from orders where tenant = 'globex'")).ShouldBe(0);
        var all = await _db.AllOrdersAsync();
        all.Where(o => o.Tenant == OrdersDatabase.Globex && o.Id < 10000).Select(o => o.Note).ShouldBe(["g1", "g2", "g3"]);
    }

    [Test]
    public async Task Insert_of_another_tenants_value_is_refused_by_the_database()
    {
        await using var tenants = _db.CreateTenants(options: o => o.GuardMode = TenantGuardMode.Off);
        await using var acme = await OpenAsync(tenants, OrdersDatabase.Acme);
        var id = _db.NextId();
        var error = await Should.ThrowAsync<PostgresException>(() => ExecuteAsync(acme, "insert into orders (id, tenant, total) values (@id, 'globex', 1)", new { id }));
        error.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        (await _db.AllOrdersAsync()).ShouldNotContain(o => o.Id == id);
    }

    [Test]
    public async Task Insert_without_the_tenant_column_is_stamped_with_the_connections_tenant()
    {
        await using var tenants = _db.CreateTenants();
        await using var globex = await OpenAsync(tenants, OrdersDatabase.Globex);
        var id = _db.NextId();
        (await ExecuteAsync(globex, "insert into orders (id, total) values (@id, 9.5)", new { id })).ShouldBe(1);
        (await _db.AllOrdersAsync()).Single(o => o.Id == id).Tenant.ShouldBe(OrdersDatabase.Globex);
    }

    [Test]
    public async Task Without_a_tenant_the_app_login_sees_no_rows()
    {
        await using var tenants = _db.CreateTenants();
        await using var acme = await OpenAsync(tenants, OrdersDatabase.Acme);
        (await OrdersAsync(acme)).Count.ShouldBe(5);

        // The tenant's statement ended with its implicit transaction: the raw connection carries no tenant.
        var raw = acme.InnerConnection;
        var count = Async
            ? await raw.ExecuteScalarAsync<long>("select count(*) from orders where id < 10000")
            : raw.ExecuteScalar<long>("select count(*) from orders where id < 10000");
        count.ShouldBe(0);
        var setting = raw.ExecuteScalar<string?>("select current_setting('dapper_tenants.tenant', true)");
        (setting ?? string.Empty).ShouldBe(string.Empty);
    }

    [Test]
    public async Task After_an_explicit_transaction_the_raw_connection_sees_no_rows()
    {
        await using var tenants = _db.CreateTenants();
        await using var acme = await OpenAsync(tenants, OrdersDatabase.Acme);
        using (var transaction = acme.BeginTransaction())
        {
            (await OrdersAsync(acme)).Count.ShouldBe(5);
            transaction.Commit();
        }

        acme.InnerConnection.ExecuteScalar<long>("select count(*) from orders where id < 10000").ShouldBe(0);
    }

    [TestCase("")]
    [TestCase("No Reset On Close=true")]
    [TestCase("Max Auto Prepare=10")]
    [TestCase("No Reset On Close=true;Max Auto Prepare=10")]
    public async Task A_reused_physical_connection_shows_the_next_tenant_only_its_rows(string settings)
    {
        await using var tenants = _db.CreateTenants(b =>
        {
            b.MaxPoolSize = 1;
            foreach (var pair in settings.Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = pair.Split('=');
                b[parts[0]] = parts[1];
            }
        });
        int firstBackend;
        await using (var acme = await OpenAsync(tenants, OrdersDatabase.Acme))
        {
            (await OrdersAsync(acme)).Select(o => o.Tenant).Distinct().ShouldBe([OrdersDatabase.Acme]);
            firstBackend = acme.InnerConnection.ProcessID;
        }

        await using var globex = await OpenAsync(tenants, OrdersDatabase.Globex);
        globex.InnerConnection.ProcessID.ShouldBe(firstBackend, "the pool of one must hand back the same server session");
        (await OrdersAsync(globex)).Select(o => o.Id).ShouldBe([101, 102, 103]);
        globex.InnerConnection.ExecuteScalar<long>("select count(*) from orders where id < 10000").ShouldBe(0);
    }

    [Test]
    public async Task A_connection_enlisted_in_a_TransactionScope_does_not_leak_its_tenant()
    {
        await using var tenants = _db.CreateTenants(b =>
        {
            b.MaxPoolSize = 1;
            b.Enlist = true;
        });
        var id = _db.NextId();
        using (var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
        {
            await using (var acme = await OpenAsync(tenants, OrdersDatabase.Acme))
            {
                (await OrdersAsync(acme)).Count.ShouldBe(5);
                (await ExecuteAsync(acme, "insert into orders (id, total) values (@id, 1)", new { id })).ShouldBe(1);
            }

            scope.Complete();
        }

        await using var globex = await OpenAsync(tenants, OrdersDatabase.Globex);
        (await OrdersAsync(globex)).Select(o => o.Id).ShouldBe([101, 102, 103]);
        (await _db.AllOrdersAsync()).Single(o => o.Id == id).Tenant.ShouldBe(OrdersDatabase.Acme);
    }

    [Test]
    public async Task Savepoint_rollback_keeps_the_tenant_for_later_statements()
    {
        await using var tenants = _db.CreateTenants();
        await using var acme = await OpenAsync(tenants, OrdersDatabase.Acme);
        await using var transaction = Async ? await acme.BeginTransactionAsync() : acme.BeginTransaction();
        transaction.Save("before");
        (await OrdersAsync(acme)).Count.ShouldBe(5);
        transaction.Rollback("before");
        (await OrdersAsync(acme)).Count.ShouldBe(5);
        await ExecuteAsync(acme, "savepoint s2");
        await ExecuteAsync(acme, "rollback to savepoint s2");
        (await OrdersAsync(acme)).Count.ShouldBe(5);
        transaction.Rollback();
    }

    [Test]
    public async Task Session_scope_keeps_the_tenant_after_a_failing_first_statement()
    {
        await using var tenants = _db.CreateTenants(options: o => o.ContextScope = TenantContextScope.Session);
        await using var acme = await OpenAsync(tenants, OrdersDatabase.Acme);
        await Should.ThrowAsync<PostgresException>(() => ExecuteAsync(acme, "select 1/0"));
        (await OrdersAsync(acme)).Select(o => o.Id).ShouldBe([1, 2, 3, 4, 5]);
        acme.InnerConnection.ExecuteScalar<string>("select current_setting('dapper_tenants.tenant')").ShouldBe(OrdersDatabase.Acme);
    }

    [Test]
    public async Task Session_scope_keeps_the_tenant_after_a_rolled_back_first_transaction()
    {
        await using var tenants = _db.CreateTenants(options: o => o.ContextScope = TenantContextScope.Session);
        await using var acme = await OpenAsync(tenants, OrdersDatabase.Acme);
        using (var transaction = acme.BeginTransaction())
        {
            (await OrdersAsync(acme)).Count.ShouldBe(5);
            transaction.Rollback();
        }

        (await OrdersAsync(acme)).Count.ShouldBe(5);
    }

    [Test]
    public async Task Session_scope_sets_the_tenant_once_per_open()
    {
        await using var tenants = _db.CreateTenants(b => b.MaxPoolSize = 1, o => o.ContextScope = TenantContextScope.Session);
        await using (var acme = await OpenAsync(tenants, OrdersDatabase.Acme))
        {
            (await OrdersAsync(acme)).Count.ShouldBe(5);
            acme.InnerConnection.ExecuteScalar<long>("select count(*) from orders where id < 10000").ShouldBe(5, "session scope lasts for the whole lease");
        }

        await using var globex = await OpenAsync(tenants, OrdersDatabase.Globex);
        (await OrdersAsync(globex)).Select(o => o.Id).ShouldBe([101, 102, 103]);
    }

    [TestCase("No Reset On Close=true", "No Reset On Close=true, so the pool does not reset a connection when it is returned")]
    [TestCase("Multiplexing=true", "Multiplexing=true, so statements of different connections share one server session")]
    public void Session_scope_is_refused_where_pooling_would_leak_it(string setting, string reason)
    {
        var parts = setting.Split('=');
        var error = Should.Throw<ArgumentException>(() => _db.CreateTenants(b => b[parts[0]] = parts[1], o => o.ContextScope = TenantContextScope.Session));
        error.Message.ShouldBe(
            $"TenantContextScope.Session cannot be used with {reason}: the tenant would leak to the next user of the server session. "
            + "Use TenantContextScope.Transaction (the default), which is safe with every pooling setup. (Parameter 'connectionString')");
    }
}
