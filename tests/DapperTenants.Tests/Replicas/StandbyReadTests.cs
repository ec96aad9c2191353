using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Replicas;

/// <summary>Reads through <see cref="TenantDataSource.OpenReadOnly"/> on a multi-host data source run on the standby, under the same isolation as on the primary.</summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync)]
[TestFixture(SyncOrAsync.Async)]
public class StandbyReadTests(SyncOrAsync mode)
{
    private const string Rows = "select pg_is_in_recovery() as onstandby, id, tenant from orders where id < 10000 order by id";

    private bool Async => mode == SyncOrAsync.Async;

    private static OrdersDatabase Db => ReplicaSetup.Db;

    private async Task<TenantConnection> OpenReadOnlyAsync(TenantDataSource tenants, string tenant) =>
        Async ? await tenants.OpenReadOnlyAsync(tenant) : tenants.OpenReadOnly(tenant);

    private async Task<List<Row>> RowsAsync(TenantConnection connection, string sql = Rows) => Async
        ? (await connection.QueryAsync<Row>(sql)).ToList()
        : connection.Query<Row>(sql).ToList();

    private static async Task<List<int>> ExpectedIdsAsync(string tenant)
    {
        await using var owner = await Db.Owner.OpenConnectionAsync();
        return (await owner.QueryAsync<int>("select id from orders_plain where tenant = @tenant and id < 10000 order by id", new { tenant })).ToList();
    }

    [Test]
    public async Task Every_tenant_reads_only_its_rows_and_the_reads_run_on_the_standby()
    {
        await using var tenants = TenantDataSource.Create(ReplicaSetup.MultiHost());
        foreach (var tenant in new[] { OrdersDatabase.Acme, OrdersDatabase.Globex, OrdersDatabase.Initech, "nobody" })
        {
            await using var connection = await OpenReadOnlyAsync(tenants, tenant);
            var rows = await RowsAsync(connection);
            rows.Select(r => r.Id).ShouldBe(await ExpectedIdsAsync(tenant), $"tenant {tenant}");
            rows.ShouldAllBe(r => r.Tenant == tenant);
            (Async ? await connection.ExecuteScalarAsync<bool>("select pg_is_in_recovery()") : connection.ExecuteScalar<bool>("select pg_is_in_recovery()"))
                .ShouldBeTrue($"the lease of {tenant} is on the standby");
            connection.InnerConnection.Port.ShouldBe(ReplicaSetup.Standby.Port);
        }
    }

    [Test]
    public async Task Without_a_tenant_the_standby_shows_no_row()
    {
        await using var tenants = TenantDataSource.Create(ReplicaSetup.MultiHost());
        await using var connection = await OpenReadOnlyAsync(tenants, OrdersDatabase.Acme);

        // The unguarded escape hatch sends no tenant: the policy on the standby fails closed.
        var count = Async
            ? await connection.InnerConnection.ExecuteScalarAsync<long>("select count(*) from orders")
            : connection.InnerConnection.ExecuteScalar<long>("select count(*) from orders");
        count.ShouldBe(0);
    }

    [Test]
    public async Task A_write_on_a_read_only_lease_fails_with_PostgreSQLs_read_only_error()
    {
        await using var tenants = TenantDataSource.Create(ReplicaSetup.MultiHost());
        await using var connection = await OpenReadOnlyAsync(tenants, OrdersDatabase.Acme);
        var id = Db.NextId();
        const string insert = "insert into orders (id, total) values (@id, 1)";
        var error = Async
            ? await Should.ThrowAsync<PostgresException>(() => connection.ExecuteAsync(insert, new { id }))
            : Should.Throw<PostgresException>(() => connection.Execute(insert, new { id }));
        error.SqlState.ShouldBe(PostgresErrorCodes.ReadOnlySqlTransaction);
        error.MessageText.ShouldBe("cannot execute INSERT in a read-only transaction");
        (await Db.AllOrdersAsync()).ShouldNotContain(o => o.Id == id);

        // The lease stays usable, on the same tenant.
        (await RowsAsync(connection)).ShouldAllBe(r => r.Tenant == OrdersDatabase.Acme && r.OnStandby);
    }

    [Test]
    public async Task The_guard_judges_statements_on_the_standby_as_on_the_primary()
    {
        await using var tenants = TenantDataSource.Create(ReplicaSetup.MultiHost());
        await using var connection = await OpenReadOnlyAsync(tenants, OrdersDatabase.Acme);
        const string foreign = "insert into orders (id, tenant, total) values (1, 'globex', 1)";
        var write = Async
            ? await Should.ThrowAsync<TenantGuardException>(() => connection.ExecuteAsync(foreign))
            : Should.Throw<TenantGuardException>(() => connection.Execute(foreign));
        write.Message.ShouldContain("'globex'");

        const string tamper = "select set_config('dapper_tenants.tenant', 'globex', false)";
        if (Async)
        {
            await Should.ThrowAsync<TenantGuardException>(() => connection.ExecuteScalarAsync<string>(tamper));
        }
        else
        {
            Should.Throw<TenantGuardException>(() => connection.ExecuteScalar<string>(tamper));
        }

        (await RowsAsync(connection)).Select(r => r.Tenant).Distinct().ShouldBe([OrdersDatabase.Acme]);
    }

    [Test]
    public async Task A_read_only_transaction_on_the_standby_carries_the_tenant()
    {
        await using var tenants = TenantDataSource.Create(ReplicaSetup.MultiHost());
        await using var connection = await OpenReadOnlyAsync(tenants, OrdersDatabase.Globex);
        await using var transaction = Async ? await connection.BeginTransactionAsync() : connection.BeginTransaction();
        var first = Async
            ? (await connection.QueryAsync<Row>(Rows, transaction: transaction)).ToList()
            : connection.Query<Row>(Rows, transaction: transaction).ToList();
        var second = Async
            ? await connection.ExecuteScalarAsync<long>("select count(*) from orders where id < 10000", transaction: transaction)
            : connection.ExecuteScalar<long>("select count(*) from orders where id < 10000", transaction: transaction);
        first.Select(r => r.Id).ShouldBe([101, 102, 103]);
        first.ShouldAllBe(r => r.OnStandby);
        second.ShouldBe(3);
    }

    [Test]
    public async Task With_session_scope_every_statement_of_a_read_only_lease_reads_as_its_tenant_on_the_standby()
    {
        await using var tenants = TenantDataSource.Create(ReplicaSetup.MultiHost(), o => o.ContextScope = TenantContextScope.Session);
        foreach (var tenant in new[] { OrdersDatabase.Acme, OrdersDatabase.Globex, OrdersDatabase.Acme })
        {
            await using var connection = await OpenReadOnlyAsync(tenants, tenant);
            for (var i = 0; i < 2; i++)
            {
                var rows = await RowsAsync(connection);
                rows.Select(r => r.Id).ShouldBe(await ExpectedIdsAsync(tenant));
                rows.ShouldAllBe(r => r.OnStandby && r.Tenant == tenant);
            }
        }
    }

    [Test]
    public async Task With_Target_Session_Attributes_primary_Open_writes_to_the_primary_and_OpenReadOnly_still_reads_the_standby()
    {
        await using var tenants = TenantDataSource.Create(ReplicaSetup.MultiHost(b => b.TargetSessionAttributes = "primary"));
        var id = Db.NextId();
        await using (var writer = Async ? await tenants.OpenAsync(OrdersDatabase.Initech) : tenants.Open(OrdersDatabase.Initech))
        {
            writer.InnerConnection.Port.ShouldBe(ReplicaSetup.Standby.Primary.Port);
            (Async
                ? await writer.ExecuteAsync("insert into orders (id, total, note) values (@id, 1, 'written')", new { id })
                : writer.Execute("insert into orders (id, total, note) values (@id, 1, 'written')", new { id })).ShouldBe(1);
        }

        await using var reader = await OpenReadOnlyAsync(tenants, OrdersDatabase.Initech);
        reader.InnerConnection.Port.ShouldBe(ReplicaSetup.Standby.Port);
        (await RowsAsync(reader)).ShouldAllBe(r => r.OnStandby && r.Tenant == OrdersDatabase.Initech);
    }

    [Test]
    public async Task On_a_single_host_data_source_OpenReadOnly_opens_on_that_host()
    {
        await using (var primaryOnly = Db.CreateTenants())
        {
            await using var connection = await OpenReadOnlyAsync(primaryOnly, OrdersDatabase.Acme);
            (await RowsAsync(connection)).ShouldAllBe(r => !r.OnStandby && r.Tenant == OrdersDatabase.Acme);
            var id = Db.NextId();
            (Async
                ? await connection.ExecuteAsync("insert into orders (id, total) values (@id, 1)", new { id })
                : connection.Execute("insert into orders (id, total) values (@id, 1)", new { id })).ShouldBe(1, "it routes, it does not make the lease read-only");
            (await Db.AllOrdersAsync()).Single(o => o.Id == id).Tenant.ShouldBe(OrdersDatabase.Acme);
        }

        await using var standbyOnly = TenantDataSource.Create(ReplicaSetup.StandbyOnly());
        await using var onStandby = await OpenReadOnlyAsync(standbyOnly, OrdersDatabase.Globex);
        (await RowsAsync(onStandby)).ShouldAllBe(r => r.OnStandby && r.Tenant == OrdersDatabase.Globex);
    }

    [Test]
    public async Task OpenCurrentReadOnly_reads_as_the_tenant_of_the_scope_on_the_standby()
    {
        await using var tenants = TenantDataSource.Create(ReplicaSetup.MultiHost());
        using (TenantScope.Begin(OrdersDatabase.Initech))
        {
            await using var connection = Async ? await tenants.OpenCurrentReadOnlyAsync() : tenants.OpenCurrentReadOnly();
            connection.Tenant.ShouldBe(OrdersDatabase.Initech);
            (await RowsAsync(connection)).Select(r => (r.Id, r.OnStandby)).ShouldBe([(201, true), (202, true)]);
        }

        var error = Async
            ? await Should.ThrowAsync<InvalidOperationException>(async () => await tenants.OpenCurrentReadOnlyAsync())
            : Should.Throw<InvalidOperationException>(() => tenants.OpenCurrentReadOnly());
        error.Message.ShouldStartWith("No tenant is current: OpenCurrent needs an open TenantScope in this flow.");
    }

    [Test]
    public async Task OpenReadOnly_checks_the_tenant_and_refuses_after_dispose()
    {
        var tenants = TenantDataSource.Create(ReplicaSetup.MultiHost());
        var empty = Async
            ? await Should.ThrowAsync<ArgumentException>(async () => await tenants.OpenReadOnlyAsync(" "))
            : Should.Throw<ArgumentException>(() => tenants.OpenReadOnly(" "));
        empty.ParamName.ShouldBe("tenant");
        await using (var connection = await OpenReadOnlyAsync(tenants, OrdersDatabase.Acme))
        {
            connection.Tenant.ShouldBe(OrdersDatabase.Acme);
        }

        await tenants.DisposeAsync();
        if (Async)
        {
            await Should.ThrowAsync<ObjectDisposedException>(async () => await tenants.OpenReadOnlyAsync(OrdersDatabase.Acme));
        }
        else
        {
            Should.Throw<ObjectDisposedException>(() => tenants.OpenReadOnly(OrdersDatabase.Acme));
        }
    }

    private sealed record Row(bool OnStandby, int Id, string Tenant);
}
