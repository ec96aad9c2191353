using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// Creates and fills the benchmark tables once per database; a database that already holds the same
/// <see cref="Dataset.Signature"/> is left as it is.
/// </summary>
/// <remarks>
/// <para>Three copies of the same orders, row for row and in the same physical order, so that only the access path differs:</para>
/// <list type="bullet">
/// <item><c>orders_plain</c>: no RLS; the baseline reads it as the owner with an explicit <c>WHERE tenant = @t</c>.</item>
/// <item><c>orders</c>: RLS enabled and forced, policy on the <c>dapper_tenants.tenant</c> setting (what the library installs).</item>
/// <item><c>orders_by_role</c>: RLS enabled and forced, policy on <c>current_user</c> through a function that strips the role
/// prefix, as sqlalchemy-tenants does; one NOLOGIN role per tenant, each granted to the application login.</item>
/// </list>
/// <para>Scenario 2 adds <c>customers</c> (small, updated) and <c>payments</c> (append-only), each with a plain twin and a
/// role-per-tenant twin, so its writes never touch the orders that scenarios 1, 3 and 6 read.</para>
/// <para>The signed context (<see cref="SignedBench"/>) adds <c>signed_orders</c>, <c>signed_customers</c> and
/// <c>signed_payments</c>: the same rows again, secured by the real installer with a signing key.</para>
/// </remarks>
internal static class Seeder
{
    private const string Policy = "tenant = (select nullif(current_setting('" + TenantOptions.DefaultSettingName + "', true), '')::text)";

    /// <summary>Every seeded table, frozen and analyzed after the load.</summary>
    private static readonly string[] Tables =
    [
        "orders_plain", "orders", "orders_by_role", "signed_orders",
        "customers_plain", "customers", "customers_by_role", "signed_customers",
        "payments_plain", "payments", "payments_by_role", "signed_payments",
    ];

    public static async Task EnsureAsync(string adminConnectionString, string ownerConnectionString, string appConnectionString, Dataset dataset)
    {
        var owner = new NpgsqlConnectionStringBuilder(ownerConnectionString).Username!;
        var app = new NpgsqlConnectionStringBuilder(appConnectionString).Username!;
        await ExecuteAsync(ownerConnectionString, "create table if not exists bench_meta (key text primary key, value text not null)");
        var existing = await ScalarAsync<string>(ownerConnectionString, "select value from bench_meta where key = 'signature'");
        if (existing == dataset.Signature)
        {
            Console.WriteLine($"// Benchmark data already seeded ({dataset.Signature}); reusing it.");
            return;
        }

        Console.WriteLine($"// Seeding {dataset.Rows:N0} orders x 4 tables for {dataset.Tenants:N0} tenants ({dataset.Signature}) ...");
        var clock = Stopwatch.StartNew();
        await ExecuteAsync(ownerConnectionString, "delete from bench_meta");
        await ExecuteAsync(adminConnectionString, TenantRolesSql(dataset, app));
        await ExecuteAsync(ownerConnectionString, TablesSql(dataset, owner));
        await ExecuteAsync(ownerConnectionString, FillSql(dataset));
        await ExecuteAsync(ownerConnectionString, SecureSql(dataset));
        await SignedBench.InstallAsync(ownerConnectionString, app);
        await StrictBench.InstallAsync(ownerConnectionString, app, dataset);
        foreach (var table in Tables)
        {
            // Freeze now so that no benchmark pays for hint bits or a first autovacuum on the bulk-loaded rows.
            await ExecuteAsync(ownerConnectionString, $"vacuum (freeze, analyze) {table}");
        }

        await ExecuteAsync(ownerConnectionString, string.Create(CultureInfo.InvariantCulture, $"""
            insert into bench_meta (key, value) values
              ('rows', '{dataset.Rows}'), ('tenants', '{dataset.Tenants}'), ('role_prefix', '{dataset.RolePrefix}'),
              ('signature', '{dataset.Signature}')
            """));
        Console.WriteLine($"// Seeded in {clock.Elapsed.TotalSeconds:F1} s.");
    }

    /// <summary>Drops the role-per-tenant roles, which live outside the database; run it after dropping the database.</summary>
    public static Task DropTenantRolesAsync(string serverAdminConnectionString, Dataset dataset) =>
        ExecuteAsync(serverAdminConnectionString, $"""
            do $do$
            declare r text;
            begin
              for r in select rolname from pg_roles where starts_with(rolname, {Literal(dataset.RolePrefix)}) order by rolname desc loop
                execute format('drop role %I', r);
              end loop;
            end
            $do$
            """);

    public static string GroupRole(Dataset dataset) => dataset.RolePrefix + "all";


    private static string TenantRolesSql(Dataset dataset, string app) => string.Create(CultureInfo.InvariantCulture, $"""
        do $do$
        declare
          i int;
          r text;
        begin
          if not exists (select from pg_roles where rolname = {Literal(GroupRole(dataset))}) then
            execute format('create role %I nologin', {Literal(GroupRole(dataset))});
          end if;
          for i in 1..{dataset.Tenants} loop
            r := {Literal(dataset.RolePrefix)} || 't' || lpad(i::text, {dataset.TenantWidth}, '0');
            if not exists (select from pg_roles where rolname = r) then
              execute format('create role %I nologin in role %I', r, {Literal(GroupRole(dataset))});
            end if;
            execute format('grant %I to %I', r, {Literal(app)});
          end loop;
        end
        $do$
        """);

    private static string TablesSql(Dataset dataset, string owner) => $"""
        drop table if exists orders_plain, orders, orders_by_role, signed_orders, customers_plain, customers, customers_by_role, signed_customers,
          payments_plain, payments, payments_by_role, signed_payments cascade;
        drop function if exists bench_role_tenant();

        create table orders_plain (
          tenant text not null,
          id bigint not null,
          customer_id bigint not null,
          total numeric(12,2) not null,
          created_at timestamptz not null);
        create table orders (like orders_plain);
        create table orders_by_role (like orders_plain);
        create table signed_orders (like orders_plain);

        create table customers_plain (
          tenant text not null,
          id bigint not null,
          name text not null,
          balance numeric(14,2) not null) with (fillfactor = 50);
        create table customers (like customers_plain) with (fillfactor = 50);
        create table customers_by_role (like customers_plain) with (fillfactor = 50);
        create table signed_customers (like customers_plain) with (fillfactor = 50);

        create table payments_plain (
          tenant text not null,
          id bigint generated always as identity,
          order_id bigint not null,
          amount numeric(12,2) not null,
          created_at timestamptz not null default now(),
          primary key (tenant, id));
        create table payments (
          tenant text not null default nullif(current_setting('{TenantOptions.DefaultSettingName}', true), ''),
          id bigint generated always as identity,
          order_id bigint not null,
          amount numeric(12,2) not null,
          created_at timestamptz not null default now(),
          primary key (tenant, id));
        -- The installer sets signed_payments' tenant default (the verified tenant).
        create table signed_payments (
          tenant text not null,
          id bigint generated always as identity,
          order_id bigint not null,
          amount numeric(12,2) not null,
          created_at timestamptz not null default now(),
          primary key (tenant, id));

        -- sqlalchemy-tenants' tenant function: the role name without its prefix.
        create function bench_role_tenant() returns text language sql stable security invoker
          as $fn$ select replace(current_user::text, {Literal(dataset.RolePrefix)}, '') $fn$;
        alter function bench_role_tenant() owner to "{owner}";
        create table payments_by_role (
          tenant text not null default bench_role_tenant(),
          id bigint generated always as identity,
          order_id bigint not null,
          amount numeric(12,2) not null,
          created_at timestamptz not null default now(),
          primary key (tenant, id));
        """;

    private static string FillSql(Dataset dataset) => string.Create(CultureInfo.InvariantCulture, $"""
        insert into orders_plain (tenant, id, customer_id, total, created_at)
        select 't' || lpad(((n - 1) % {dataset.Tenants} + 1)::text, {dataset.TenantWidth}, '0'),
               n,
               ((n - 1) / {dataset.Tenants} % {Dataset.CustomersPerTenant}) * {dataset.Tenants} + (n - 1) % {dataset.Tenants} + 1,
               (n * 7919 % 100000)::numeric / 100,
               timestamptz '2024-01-01 00:00:00+00' + n * interval '30 seconds'
        from generate_series(1, {dataset.Rows}::bigint) n;
        insert into orders select * from orders_plain;
        insert into orders_by_role select * from orders_plain;
        insert into signed_orders select * from orders_plain;
        alter table orders_plain add primary key (tenant, id);
        alter table orders add primary key (tenant, id);
        alter table orders_by_role add primary key (tenant, id);
        alter table signed_orders add primary key (tenant, id);

        insert into customers_plain (tenant, id, name, balance)
        select 't' || lpad(((c - 1) % {dataset.Tenants} + 1)::text, {dataset.TenantWidth}, '0'), c, 'customer ' || c, 0
        from generate_series(1, {dataset.Tenants * Dataset.CustomersPerTenant}::bigint) c;
        insert into customers select * from customers_plain;
        insert into customers_by_role select * from customers_plain;
        insert into signed_customers select * from customers_plain;
        alter table customers_plain add primary key (tenant, id);
        alter table customers add primary key (tenant, id);
        alter table customers_by_role add primary key (tenant, id);
        alter table signed_customers add primary key (tenant, id);
        """);

    private static string SecureSql(Dataset dataset) => $"""
        alter table orders enable row level security;
        alter table orders force row level security;
        create policy tenant_isolation on orders using ({Policy}) with check ({Policy});

        alter table customers enable row level security;
        alter table customers force row level security;
        create policy tenant_isolation on customers using ({Policy}) with check ({Policy});

        alter table payments enable row level security;
        alter table payments force row level security;
        create policy tenant_isolation on payments using ({Policy}) with check ({Policy});

        alter table orders_by_role enable row level security;
        alter table orders_by_role force row level security;
        create policy tenant_role on orders_by_role
          using (tenant = (select bench_role_tenant())) with check (tenant = (select bench_role_tenant()));

        alter table customers_by_role enable row level security;
        alter table customers_by_role force row level security;
        create policy tenant_role on customers_by_role
          using (tenant = (select bench_role_tenant())) with check (tenant = (select bench_role_tenant()));

        alter table payments_by_role enable row level security;
        alter table payments_by_role force row level security;
        create policy tenant_role on payments_by_role
          using (tenant = (select bench_role_tenant())) with check (tenant = (select bench_role_tenant()));

        grant usage on schema public to "{GroupRole(dataset)}";
        grant select on orders_by_role to "{GroupRole(dataset)}";
        grant select, update on customers_by_role to "{GroupRole(dataset)}";
        grant select, insert on payments_by_role to "{GroupRole(dataset)}";
        """;

    private static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        var connection = new NpgsqlConnection(connectionString);
        await using (connection)
        {
            await connection.OpenAsync();
            var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
            await using (command)
            {
                await command.ExecuteNonQueryAsync();
            }
        }
    }

    private static async Task<T?> ScalarAsync<T>(string connectionString, string sql)
    {
        var connection = new NpgsqlConnection(connectionString);
        await using (connection)
        {
            await connection.OpenAsync();
            var command = new NpgsqlCommand(sql, connection);
            await using (command)
            {
                return await command.ExecuteScalarAsync() is T value ? value : default;
            }
        }
    }
}
