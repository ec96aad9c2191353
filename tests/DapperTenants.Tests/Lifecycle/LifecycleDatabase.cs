using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Lifecycle;

[Rls("lc_customers")]
public sealed class LcCustomer
{
    public string Tenant { get; set; } = "";

    public int Id { get; set; }

    public string Name { get; set; } = "";
}

[Rls("lc_orders")]
public sealed class LcOrder
{
    public string Tenant { get; set; } = "";

    public int Id { get; set; }
}

[Rls("lc_order_lines")]
public sealed class LcOrderLine
{
    public string Tenant { get; set; } = "";

    public int OrderId { get; set; }
}

[Rls("lc_categories")]
public sealed class LcCategory
{
    public string Tenant { get; set; } = "";

    public int Id { get; set; }
}

[Rls("lc_docs", SharedRows = true)]
public sealed class LcDoc
{
    public string? Tenant { get; set; }

    public int Id { get; set; }
}

/// <summary>
/// Five protected tables installed by the real installer (signed or not) with the tenant registry: customers ← orders ←
/// order lines (blocking composite foreign keys), categories referencing themselves (a tree), and docs with shared rows,
/// an identity column, bytea and a generated column. Tenants are seeded with <see cref="SeedAsync"/>.
/// </summary>
public sealed class LifecycleDatabase : IAsyncDisposable
{
    public static readonly byte[] Key = [.. Enumerable.Range(7, 32).Select(i => (byte)i)];

    public static readonly string[] Tables = ["lc_customers", "lc_orders", "lc_order_lines", "lc_categories", "lc_docs"];

    private LifecycleDatabase(TestDatabase database, NpgsqlDataSource owner, bool useSignedContext)
    {
        Database = database;
        Owner = owner;
        UsesSignedContext = useSignedContext;
        Registry = new TenantRegistry(owner, Options());
    }

    public TestDatabase Database { get; }

    public NpgsqlDataSource Owner { get; }

    public bool UsesSignedContext { get; }

    public TenantRegistry Registry { get; }

    public static async Task<LifecycleDatabase> CreateAsync(string prefix, bool useSignedContext)
    {
        var database = await TestServer.CreateDatabaseAsync(prefix);
        await database.ExecuteAsOwnerAsync("""
            create table lc_customers (tenant text not null, id int not null, name text not null, primary key (tenant, id));
            create table lc_orders (tenant text not null, id int not null, customer_id int not null, total numeric(12,2), note text,
                                    created timestamptz not null default '2026-01-01 00:00:00+00', primary key (tenant, id),
                                    foreign key (tenant, customer_id) references lc_customers (tenant, id));
            create table lc_order_lines (tenant text not null, order_id int not null, line int not null, sku text not null, qty int not null,
                                         primary key (tenant, order_id, line), foreign key (tenant, order_id) references lc_orders (tenant, id));
            create table lc_categories (tenant text not null, id int not null, parent_id int, name text not null,
                                        primary key (tenant, id), foreign key (tenant, parent_id) references lc_categories (tenant, id));
            create table lc_docs (tenant text, id int generated always as identity primary key, title text not null, body bytea,
                                  title_length int generated always as (length(title)) stored);
            """);
        var owner = database.CreateOwnerDataSource();
        var installer = new PolicyInstaller(owner).Add<LcCustomer>().Add<LcOrder>().Add<LcOrderLine>().Add<LcCategory>().Add<LcDoc>()
            .UseTenantRegistry().GrantTo(database.AppRole);
        if (useSignedContext)
        {
            installer.UseSignedContext(Key);
        }

        var plan = await installer.ApplyAsync();
        plan.HasErrors.ShouldBeFalse(plan.ToString());
        await database.ExecuteAsAdminAsync("insert into lc_docs (tenant, title) values (null, 'shared one'), (null, 'shared two');");
        return new LifecycleDatabase(database, owner, useSignedContext);
    }

    public TenantOptions Options() => new() { SigningKey = UsesSignedContext ? Key : null };

    /// <summary>Registers <paramref name="tenant"/> and gives it n customers, 4n orders of 3 lines, a tree of 2n categories and n docs.</summary>
    public async Task SeedAsync(string tenant, int n)
    {
        await Registry.CreateAsync(tenant);
        var literal = "'" + tenant.Replace("'", "''", StringComparison.Ordinal) + "'";
        await Database.ExecuteAsAdminAsync($"""
            insert into lc_customers select {literal}, g, 'customer ' || g from generate_series(1, {n}) g;
            insert into lc_orders select {literal}, g, 1 + g % {n}, g * 1.25, case when g % 3 = 0 then null else E'tab\there\nnewline \\ ' || g end,
                                         '2026-01-01 00:00:00+00'::timestamptz + g * interval '1 hour'
                from generate_series(1, {4 * n}) g;
            insert into lc_order_lines select {literal}, o, l, 'sku-' || l, l from generate_series(1, {4 * n}) o, generate_series(1, 3) l;
            insert into lc_categories select {literal}, g, nullif(g / 2, 0), 'category ' || g from generate_series(1, {2 * n}) g;
            insert into lc_docs (tenant, title, body) select {literal}, 'doc é ' || g, decode(lpad(to_hex(g), 8, '0'), 'hex') from generate_series(1, {n}) g;
            """);
    }

    /// <summary>Every (table, tenant) row count, read as a superuser (no RLS); shared rows under the tenant "(shared)".</summary>
    public async Task<Dictionary<string, long>> CountsAsync()
    {
        await using var admin = NpgsqlDataSource.Create(Database.AdminConnectionString);
        await using var connection = await admin.OpenConnectionAsync();
        var sql = string.Join(" union all ", Tables.Select(t => $"select '{t}:' || coalesce(tenant, '(shared)') as key, count(*) as n from {t} group by tenant"));
        return (await connection.QueryAsync<(string Key, long N)>(sql)).ToDictionary(r => r.Key, r => r.N);
    }

    /// <summary>Every row of the tenant in every table, as text in a stable order, read as a superuser.</summary>
    public async Task<List<string>> RowsAsync(string tenant)
    {
        await using var admin = NpgsqlDataSource.Create(Database.AdminConnectionString);
        await using var connection = await admin.OpenConnectionAsync();
        var rows = new List<string>();
        foreach (var table in Tables)
        {
            rows.AddRange(await connection.QueryAsync<string>($"select '{table}: ' || t::text from {table} t where tenant = @tenant order by t::text", new { tenant }));
        }

        return rows;
    }

    public TenantDataSource Strict() => Database.CreateTenantDataSource(null, o =>
    {
        o.RequireRegisteredTenant = true;
        o.SigningKey = UsesSignedContext ? Key : null;
    });

    public async ValueTask DisposeAsync()
    {
        await Owner.DisposeAsync();
        await Database.DisposeAsync();
    }
}
