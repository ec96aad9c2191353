using DapperTenants.Testing;
using DapperTenants.Tests.Signed;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Reliability;

/// <summary>
/// The attack suite's database: protected tables installed by the real <see cref="PolicyInstaller"/>, either reading the
/// raw setting (the unsigned default) or the signed context (<see cref="PolicyInstaller.UseSignedContext"/>), and the
/// objects through which PostgreSQL lets data past RLS (a superuser's view, a materialized view, a SECURITY DEFINER
/// function, a large object), so that both modes face the same rows and the same SQL.
/// </summary>
public sealed class AttackDatabase : IAsyncDisposable
{
    /// <summary>acme's order ids; globex holds 101–103, initech 201–202.</summary>
    public static readonly int[] AcmeOrders = [1, 2, 3, 4, 5];

    private AttackDatabase(TestDatabase database, bool usesSignedContext)
    {
        Database = database;
        UsesSignedContext = usesSignedContext;
    }

    public TestDatabase Database { get; }

    /// <summary>Whether the policies read the signed context.</summary>
    public bool UsesSignedContext { get; }

    /// <summary>The value the context statement sends for <paramref name="tenant"/>: the bare tenant, or a valid token.</summary>
    public string ContextValue(string tenant) => UsesSignedContext ? SignedDatabase.Minter().TokenFor(tenant) : tenant;

    public static async Task<AttackDatabase> CreateAsync(string prefix, bool signedContext)
    {
        var database = await TestServer.CreateDatabaseAsync(prefix);
        await database.ExecuteAsOwnerAsync("""
            create table orders (id int primary key, tenant text not null, total numeric(10,2) not null, note text);
            create index orders_tenant on orders (tenant);
            create table events (id int, tenant text not null, what text not null, primary key (tenant, id)) partition by list (tenant);
            create table events_a partition of events for values in ('acme');
            create table events_rest partition of events default;
            create table order_lines (id int primary key, order_id int not null references orders (id), tenant text not null);
            create table docs (id int primary key, tenant text, title text not null);
            create index docs_tenant on docs (tenant);
            create table order_notes (id int primary key, order_id int not null references orders (id) on delete cascade, tenant text not null, body text not null);
            create index order_notes_tenant on order_notes (tenant);
            create table accounts (id int primary key, tenant text not null, email text collate "C" not null unique);
            create view orders_by_owner as select id, tenant, note from orders;
            create procedure add_order(p_id int, p_total numeric) language sql as $$ insert into orders (id, total) values (p_id, p_total) $$;
            create function order_count() returns bigint language sql stable as $$ select count(*) from orders $$;
            create procedure order_total(p_id int, inout p_total numeric default null)
                language plpgsql as $$ begin select total into p_total from orders where id = p_id; end $$;
            create function open_orders() returns refcursor language plpgsql as $$
                declare c refcursor := 'orders_cursor';
                begin open c for select id, tenant, note from orders; return c; end $$;
            create procedure order_note(p_id int, inout p_note text default null)
                language plpgsql as $$ begin select note into p_note from orders where id = p_id; end $$;
            """);
        await using (var owner = database.CreateOwnerDataSource())
        {
            var installer = new PolicyInstaller(owner).Add<AttackOrder>().Add<EventRow>().Add<OrderLine>().Add<Account>().Add<Doc>().Add<OrderNote>()
                .GrantTo(database.AppRole);
            if (signedContext)
            {
                installer.UseSignedContext(SignedDatabase.Key);
            }

            await installer.ApplyAsync();
        }

        await database.ExecuteAsAdminAsync($"""
            insert into orders values
                (1, 'acme', 10.00, 'a1'), (2, 'acme', 20.00, 'a2'), (3, 'acme', 30.00, null), (4, 'acme', 40.00, 'a4'), (5, 'acme', 50.00, 'a5'),
                (101, 'globex', 1.00, 'g1'), (102, 'globex', 2.00, 'g2'), (103, 'globex', 3.00, 'g3'),
                (201, 'initech', 7.00, 'i1'), (202, 'initech', 8.00, 'i2');
            insert into events values (1, 'acme', 'a'), (2, 'globex', 'g1'), (3, 'initech', 'i1');
            insert into docs values (10, null, 'shared'), (11, 'acme', 'a doc'), (12, 'globex', 'globex doc');
            -- A note of globex's that points at acme's order 5 (a foreign key without the tenant column: the known limit).
            insert into order_notes values (1, 5, 'globex', 'globex note on order 5');
            insert into accounts values (1, 'acme', 'ada@acme.test'), (2, 'globex', 'grace@globex.test'), (3, 'initech', 'ian@initech.test');
            create view orders_by_superuser as select id, tenant, note from orders;
            create materialized view orders_snapshot as select id, tenant, note from orders;
            create function count_all_orders() returns bigint language sql security definer as $$ select count(*) from orders $$;
            grant select on orders_by_superuser, orders_snapshot to "{database.AppRole}";
            grant execute on function count_all_orders() to "{database.AppRole}";
            -- A large object the app login owns, as if globex's lease had stored it: large objects have no row-level security.
            set role "{database.AppRole}";
            select lo_from_bytea(0, convert_to('globex board minutes', 'UTF8'));
            reset role;
            """);
        await database.ExecuteAsOwnerAsync("analyze orders; analyze accounts;");
        return new AttackDatabase(database, signedContext);
    }

    public TenantDataSource CreateTenants(Action<NpgsqlConnectionStringBuilder>? connection = null, Action<TenantOptions>? options = null) =>
        Database.CreateTenantDataSource(connection, o =>
        {
            if (UsesSignedContext)
            {
                o.SigningKey = SignedDatabase.Key;
            }

            options?.Invoke(o);
        });

    /// <summary>Reads every row of <c>orders</c> as a superuser (no RLS), for checking what writes did.</summary>
    public async Task<List<Order>> AllOrdersAsync()
    {
        await using var admin = new NpgsqlConnection(Database.AdminConnectionString);
        await admin.OpenAsync();
        return (await admin.QueryAsync<Order>("select id, tenant, total, note from orders order by id")).ToList();
    }

    public ValueTask DisposeAsync() => Database.DisposeAsync();

    [Rls("orders")]
    public sealed class AttackOrder
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }

    [Rls("events")]
    public sealed class EventRow
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }

    [Rls("order_lines")]
    public sealed class OrderLine
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }

    [Rls("docs", SharedRows = true)]
    public sealed class Doc
    {
        public int Id { get; set; }

        public string? Tenant { get; set; }
    }

    [Rls("order_notes")]
    public sealed class OrderNote
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }

    [Rls("accounts")]
    public sealed class Account
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }
}
