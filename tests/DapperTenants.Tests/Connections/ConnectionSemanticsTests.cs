using Dapper;
using System.Data;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Connections;

[Category(Categories.Database)]
public class ConnectionSemanticsTests
{
    private const string Seed = "select id, tenant, total, note from orders where id < 10000 order by id";
    private OrdersDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await OrdersDatabase.CreateAsync("semantics");

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    [Test]
    public async Task Open_returns_an_open_connection_for_the_tenant()
    {
        await using var tenants = _db.CreateTenants();
        await using var connection = await tenants.OpenAsync(OrdersDatabase.Globex);
        connection.State.ShouldBe(ConnectionState.Open);
        connection.Tenant.ShouldBe(OrdersDatabase.Globex);
        connection.InnerConnection.State.ShouldBe(ConnectionState.Open);
    }

    [Test]
    public async Task Close_then_Open_keeps_the_tenant()
    {
        await using var tenants = _db.CreateTenants();
        await using var connection = tenants.Open(OrdersDatabase.Globex);
        connection.Close();
        connection.State.ShouldBe(ConnectionState.Closed);
        connection.Open();
        connection.Query<Order>(Seed).Select(o => o.Id).ShouldBe([101, 102, 103]);
        await connection.CloseAsync();
        await connection.OpenAsync();
        (await connection.QueryAsync<Order>(Seed)).Select(o => o.Id).ShouldBe([101, 102, 103]);
    }

    [Test]
    public async Task Dispose_returns_the_physical_connection_to_the_pool()
    {
        await using var tenants = _db.CreateTenants(b =>
        {
            b.MaxPoolSize = 1;
            b.Timeout = 3;
        });
        var backends = new HashSet<int>();
        for (var i = 0; i < 4; i++)
        {
            using var connection = tenants.Open(i % 2 == 0 ? OrdersDatabase.Acme : OrdersDatabase.Globex);
            connection.ExecuteScalar<int>("select 1").ShouldBe(1);
            backends.Add(connection.InnerConnection.ProcessID);
        }

        backends.Count.ShouldBe(1, "a pool of one hands back the same physical connection each time");
    }

    [Test]
    public async Task BeginTransaction_gives_a_transaction_of_the_tenant_connection_at_the_requested_level()
    {
        await using var tenants = _db.CreateTenants();
        await using var connection = tenants.Open(OrdersDatabase.Acme);
        using var transaction = connection.BeginTransaction(IsolationLevel.Serializable);
        transaction.Connection.ShouldBeSameAs(connection);
        transaction.IsolationLevel.ShouldBe(IsolationLevel.Serializable);
        connection.ExecuteScalar<string>("show transaction_isolation", transaction: transaction).ShouldBe("serializable");
        connection.Query<Order>(Seed, transaction: transaction).Count().ShouldBe(5);
        transaction.Commit();
        transaction.Connection.ShouldBeNull();
    }

    [Test]
    public async Task Properties_report_the_inner_connections_values()
    {
        await using var tenants = _db.CreateTenants();
        await using var connection = tenants.Open(OrdersDatabase.Acme);
        var inner = connection.InnerConnection;
        connection.Database.ShouldBe(inner.Database);
        connection.Database.ShouldBe(_db.Database.Name);
        connection.DataSource.ShouldBe(inner.DataSource);
        connection.ServerVersion.ShouldBe(inner.ServerVersion);
        connection.ServerVersion.ShouldStartWith("1");
        connection.ConnectionString.ShouldBe(inner.ConnectionString);
        connection.ConnectionString.ShouldNotContain(_db.Database.Password);
    }

    [Test]
    public async Task Changing_the_database_or_the_connection_string_is_refused()
    {
        await using var tenants = _db.CreateTenants();
        await using var connection = tenants.Open(OrdersDatabase.Acme);
        Should.Throw<NotSupportedException>(() => connection.ChangeDatabase("postgres")).Message
            .ShouldBe("A TenantConnection cannot change its database. Create a TenantDataSource for the other database.");
        Should.Throw<NotSupportedException>(() => connection.ConnectionString = "Host=elsewhere").Message
            .ShouldBe("The connection string of a TenantConnection cannot be changed. Open connections from a TenantDataSource created for the other database.");
        connection.Database.ShouldBe(_db.Database.Name);
    }

    [Test]
    public async Task Commands_belong_to_the_tenant_connection_and_refuse_foreign_connections_and_transactions()
    {
        await using var tenants = _db.CreateTenants();
        await using var connection = tenants.Open(OrdersDatabase.Acme);
        await using var command = connection.CreateCommand();
        command.Connection.ShouldBeSameAs(connection);
        await using var plain = new NpgsqlConnection(_db.Database.AppConnectionString);
        Should.Throw<ArgumentException>(() => command.Connection = plain).Message.ShouldStartWith(
            "A command of a TenantConnection can only run on a TenantConnection, not on a NpgsqlConnection.");
        using var innerTransaction = connection.InnerConnection.BeginTransaction();
        Should.Throw<ArgumentException>(() => command.Transaction = innerTransaction).Message.ShouldStartWith(
            "A command of a TenantConnection needs a transaction begun on that TenantConnection, not a NpgsqlTransaction.");
    }

    [Test]
    public async Task A_closed_connection_refuses_commands_with_a_clear_message()
    {
        await using var tenants = _db.CreateTenants();
        await using var connection = tenants.Open(OrdersDatabase.Acme);
        connection.Close();
        using var command = connection.CreateCommand();
        command.CommandText = "select 1";
        Should.Throw<InvalidOperationException>(() => command.ExecuteScalar()).Message
            .ShouldBe("The TenantConnection for tenant 'acme' is Closed; open it before executing a command.");
    }

    [Test]
    public async Task Dapper_opens_a_closed_tenant_connection_for_the_same_tenant_and_closes_it_again()
    {
        await using var tenants = _db.CreateTenants();
        await using var connection = tenants.Open(OrdersDatabase.Globex);
        connection.Close();
        connection.Query<Order>(Seed).Select(o => o.Id).ShouldBe([101, 102, 103]);
        connection.State.ShouldBe(ConnectionState.Closed);
        (await connection.QueryAsync<Order>(Seed)).Select(o => o.Id).ShouldBe([101, 102, 103]);
    }

    [Test]
    public async Task A_prepared_command_still_runs_under_the_tenant()
    {
        await using var tenants = _db.CreateTenants();
        await using var connection = tenants.Open(OrdersDatabase.Globex);
        await using var command = connection.CreateCommand();
        command.CommandText = "select count(*) from orders where id < 10000";
        command.Prepare();
        command.ExecuteScalar().ShouldBe(3L);
        using var transaction = connection.BeginTransaction();
        command.Transaction = transaction;
        command.ExecuteScalar().ShouldBe(3L);
        command.ExecuteScalar().ShouldBe(3L, "inside the transaction the prepared statement runs alone, the tenant already set");
    }

    [Test]
    public async Task StateChange_events_are_raised_by_the_tenant_connection()
    {
        await using var tenants = _db.CreateTenants();
        await using var connection = tenants.Open(OrdersDatabase.Acme);
        var changes = new List<(ConnectionState, ConnectionState)>();
        connection.StateChange += (sender, e) =>
        {
            sender.ShouldBeSameAs(connection);
            changes.Add((e.OriginalState, e.CurrentState));
        };
        connection.Close();
        connection.Open();
        changes.ShouldBe([(ConnectionState.Open, ConnectionState.Closed), (ConnectionState.Closed, ConnectionState.Open)]);
    }

    [Test]
    public async Task StateChange_stops_when_the_last_handler_is_removed_and_each_handler_is_called_once()
    {
        await using var tenants = _db.CreateTenants();
        await using var connection = tenants.Open(OrdersDatabase.Acme);
        var first = 0;
        var second = 0;
        StateChangeEventHandler one = (_, _) => first++;
        StateChangeEventHandler two = (_, _) => second++;
        connection.StateChange += one;
        connection.StateChange += two;
        connection.Close();
        connection.StateChange -= one;
        connection.Open();
        connection.StateChange -= two;
        connection.StateChange -= two;
        connection.Close();
        connection.StateChange += two;
        await connection.OpenAsync();
        (first, second).ShouldBe((1, 3));
    }

    [Test]
    public async Task A_disposed_command_refuses_to_run_and_the_next_command_works()
    {
        await using var tenants = _db.CreateTenants();
        await using var connection = tenants.Open(OrdersDatabase.Globex);
        var command = connection.CreateCommand();
        command.CommandText = "select count(*) from orders where id < 10000";
        command.Parameters.Add(new Npgsql.NpgsqlParameter("unused", 1));
        command.ExecuteScalar().ShouldBe(3L);
        command.Dispose();
        Should.Throw<ObjectDisposedException>(() => command.ExecuteScalar());

        // Npgsql hands the disposed inner command to the next CreateCommand: it must come back clean.
        using var next = connection.CreateCommand();
        next.Parameters.Count.ShouldBe(0);
        next.CommandText = "select count(*) from orders where id > @min and id < 10000";
        next.Parameters.Add(new Npgsql.NpgsqlParameter("min", (object)0L));
        next.ExecuteScalar().ShouldBe(3L);
        (await connection.QuerySingleAsync<long>("select count(*) from orders where id < 10000")).ShouldBe(3L);
    }
}
