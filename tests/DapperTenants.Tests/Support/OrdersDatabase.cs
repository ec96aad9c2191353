using DapperTenants.Testing;
using Npgsql;

namespace DapperTenants.Tests.Support;

/// <summary>
/// A database with a hand-written, FORCEd tenant policy on <c>orders</c> and an unprotected twin <c>orders_plain</c>
/// holding the same rows, so each tenant query can be compared with a plain query that filters explicitly.
/// </summary>
public sealed class OrdersDatabase : IAsyncDisposable
{
    public const string Acme = "acme";
    public const string Globex = "globex";
    public const string Initech = "initech";

    private int _nextId = 10_000;

    private OrdersDatabase(TestDatabase database, NpgsqlDataSource owner)
    {
        Database = database;
        Owner = owner;
    }

    public TestDatabase Database { get; }

    /// <summary>The owner, reading <c>orders_plain</c> (no RLS) with explicit filters as the reference.</summary>
    public NpgsqlDataSource Owner { get; }

    public static async Task<OrdersDatabase> CreateAsync(string prefix) => await CreateAsync(await TestServer.GetAsync(), prefix);

    public static async Task<OrdersDatabase> CreateAsync(PostgresServer server, string prefix)
    {
        var database = await server.CreateDatabaseAsync(prefix);
        await database.ExecuteAsOwnerAsync("""
            create table orders (id int primary key, tenant text not null, total numeric(10,2) not null, note text);
            alter table orders enable row level security;
            alter table orders force row level security;
            create policy dapper_tenants_isolation on orders
                using (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')::text))
                with check (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')::text));
            alter table orders alter column tenant set default nullif(current_setting('dapper_tenants.tenant', true), '');
            create table orders_plain (id int primary key, tenant text not null, total numeric(10,2) not null, note text);
            create procedure add_order(p_id int, p_total numeric)
                language sql as $$ insert into orders (id, total) values (p_id, p_total) $$;
            create function order_count() returns bigint language sql stable as $$ select count(*) from orders $$;
            create procedure order_total(p_id int, inout p_total numeric default null)
                language plpgsql as $$ begin select total into p_total from orders where id = p_id; end $$;
            """);
        const string seed = """
            (1, 'acme', 10.00, 'a1'), (2, 'acme', 20.00, 'a2'), (3, 'acme', 30.00, null), (4, 'acme', 40.00, 'a4'), (5, 'acme', 50.00, 'a5'),
            (101, 'globex', 1.00, 'g1'), (102, 'globex', 2.00, 'g2'), (103, 'globex', 3.00, 'g3'),
            (201, 'initech', 7.00, 'i1'), (202, 'initech', 8.00, 'i2')
            """;
        await database.ExecuteAsAdminAsync($"insert into orders values {seed}; insert into orders_plain values {seed};");
        return new OrdersDatabase(database, database.CreateOwnerDataSource());
    }

    /// <summary>An id no other test uses, for tests that write.</summary>
    public int NextId() => Interlocked.Increment(ref _nextId);

    public TenantDataSource CreateTenants(Action<NpgsqlConnectionStringBuilder>? connection = null, Action<TenantOptions>? options = null) =>
        Database.CreateTenantDataSource(connection, options);

    /// <summary>
    /// A plain Npgsql connection for the app login with the tenant set by hand for the session: the reference a
    /// tenant connection must behave exactly like.
    /// </summary>
    public async Task<NpgsqlConnection> OpenReferenceAsync(string tenant)
    {
        var builder = new NpgsqlConnectionStringBuilder(Database.AppConnectionString) { Pooling = false };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await connection.ExecuteAsync("select set_config('dapper_tenants.tenant', @tenant, false)", new { tenant });
        return connection;
    }

    /// <summary>
    /// A closed plain Npgsql connection for the app login whose sessions start with the tenant set (a startup option),
    /// so it keeps the tenant across Close/Open as a tenant connection does: the reference of the parity suite.
    /// </summary>
    public NpgsqlConnection CreateReference(string tenant)
    {
        var builder = new NpgsqlConnectionStringBuilder(Database.AppConnectionString) { Pooling = false, Options = $"-c dapper_tenants.tenant={tenant}" };
        return new NpgsqlConnection(builder.ConnectionString);
    }

    /// <summary>Reads every row of <c>orders</c> as a superuser (no RLS), for checking what writes did.</summary>
    public async Task<List<Order>> AllOrdersAsync()
    {
        await using var admin = NpgsqlDataSource.Create(Database.AdminConnectionString);
        await using var connection = await admin.OpenConnectionAsync();
        return (await connection.QueryAsync<Order>("select id, tenant, total, note from orders order by id")).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await Owner.DisposeAsync();
        await Database.DisposeAsync();
    }
}
