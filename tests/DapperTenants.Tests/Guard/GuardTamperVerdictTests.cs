using DapperTenants.Tests.Support;
using static DapperTenants.Tests.Guard.GuardHarness;

namespace DapperTenants.Tests.Guard;

/// <summary>Statements that would change the tenant context, each next to a legal twin.</summary>
[Category(Categories.Unit)]
public sealed class GuardTamperVerdictTests
{
    private static readonly object[] Cases =
    [
        new object[] { "set dapper_tenants.tenant = 'globex'", "SET" },
        new object[] { "SET LOCAL dapper_tenants.tenant TO 'globex'", "SET LOCAL" },
        new object[] { "set session dapper_tenants.tenant to default", "SET SESSION" },
        new object[] { "set \"Dapper_Tenants\".\"TENANT\" = 'x'", "SET" },
        new object[] { "set dapper_tenants . tenant from current", "SET" },
        new object[] { "set statement_timeout = 1000", "pass" },
        new object[] { "set local dapper_tenants.other = 'x'", "pass" },
        new object[] { "set time zone 'UTC'", "pass" },
        new object[] { "set transaction isolation level serializable", "pass" },
        new object[] { "set session characteristics as transaction read only", "pass" },
        new object[] { "reset dapper_tenants.tenant", "RESET" },
        new object[] { "reset all", "RESET ALL" },
        new object[] { "reset statement_timeout", "pass" },
        new object[] { "reset role", "pass" },
        new object[] { "discard all", "DISCARD ALL" },
        new object[] { "discard plans", "pass" },
        new object[] { "select set_config('dapper_tenants.tenant', 'globex', false)", "set_config" },
        new object[] { "select pg_catalog.set_config('DAPPER_TENANTS.TENANT', 'x', true)", "set_config" },
        new object[] { "select 1 from orders where set_config(E'dapper_tenants.\\x74enant', 'x', true) is not null", "set_config" },
        new object[] { "select set_config('dapper_tenants.tenant'::text, 'x', true)", "set_config" },
        new object[] { "select set_config(setting_name => 'dapper_tenants.tenant', new_value => 'x', is_local => true)", "set_config" },
        new object[] { "select set_config(new_value => 'x', setting_name => 'application_name', is_local => false)", "pass" },
        new object[] { "select set_config(current_user || '.x', 'v', false)", "set_config" },
        new object[] { "select set_config((select name from t), 'v', false)", "set_config" },
        new object[] { "select \"set_config\"('dapper_tenants.tenant', 'x', false)", "set_config" },
        new object[] { "select set_config('application_name', 'x', false)", "pass" },
        new object[] { "select myschema.set_config('dapper_tenants.tenant', 'x', false)", "pass" },
        new object[] { "select set_config('role', 'postgres', false)", "set_config" },
        new object[] { "select 'set_config(''dapper_tenants.tenant'', ''x'', false)'", "pass" },
        new object[] { "-- set dapper_tenants.tenant = 'x'\nselect 1", "pass" },
        new object[] { "set role postgres", "SET ROLE" },
        new object[] { "set local role none", "SET ROLE" },
        new object[] { "set session role = 'x'", "SET ROLE" },
        new object[] { "set session authorization 'x'", "SET SESSION AUTHORIZATION" },
        new object[] { "set local session authorization default", "SET SESSION AUTHORIZATION" },
        new object[] { "alter table orders disable row level security", "ALTER TABLE public.orders" },
        new object[] { "alter table if exists only public.orders no force row level security", "ALTER TABLE public.orders" },
        new object[] { "alter table orders add column x int, disable row level security", "ALTER TABLE public.orders" },
        new object[] { "alter table orders enable row level security", "pass" },
        new object[] { "alter table orders add column x int", "pass" },
        new object[] { "alter table other disable row level security", "pass" },
        new object[] { "drop policy if exists p on orders", "DROP POLICY public.orders" },
        new object[] { "drop policy p on other", "pass" },
        new object[] { "alter policy p on public.orders using (true)", "ALTER POLICY public.orders" },
        new object[] { "create policy p on orders using (true)", "CREATE POLICY public.orders" },
        new object[] { "create policy p on orders as restrictive using (total > 0)", "pass" },
        new object[] { "create policy p on orders as permissive for select to app, public using (true) with check (true)", "CREATE POLICY public.orders" },
        new object[] { "create policy p on orders as ugly using (true)", "pass" },
        new object[] { "create policy p on orders for everything using (true)", "pass" },
        new object[] { "create policy p on orders using (true) garbage", "pass" },
        new object[] { "create or replace policy p on orders using (true)", "pass" },
        new object[] { "drop policy p on orders cascade", "DROP POLICY public.orders" },
        new object[] { "drop policy p on orders garbage", "pass" },
        new object[] { "alter policy p on orders rename to q", "ALTER POLICY public.orders" },
        new object[] { "alter policy p on orders to app with check (true)", "ALTER POLICY public.orders" },
        new object[] { "alter policy p on orders rename q", "pass" },
        new object[] { "with x as (update pg_settings set setting = 'x' where name = 'dapper_tenants.tenant' returning 1) select * from x", "UPDATE pg_catalog.pg_settings" },
        new object[] { "with x as (update only pg_catalog.pg_settings set setting = '1' returning 1) select 1", "UPDATE pg_catalog.pg_settings" },
        new object[] { "select * from pg_settings where name = 'work_mem'", "pass" },
        new object[] { "alter role current_user set search_path = evil, public", "ALTER ROLE" },
        new object[] { "alter system set dapper_tenants.tenant = 'x'", "ALTER SYSTEM" },
        new object[] { "copy orders from stdin", "COPY FROM public.orders" },
        new object[] { "copy public.orders (id, tenant) from '/tmp/x' with (format csv)", "COPY FROM public.orders" },
        new object[] { "copy orders to stdout", "pass" },
        new object[] { "copy (select * from orders) to stdout", "pass" },
        new object[] { "update pg_settings set setting = 'x' where name = 'dapper_tenants.tenant'", "UPDATE pg_catalog.pg_settings" },
        new object[] { "update pg_catalog.pg_settings set setting = 'x'", "UPDATE pg_catalog.pg_settings" },
        new object[] { "update pg_settings set setting = '10s' where name = 'statement_timeout'", "pass" },
        new object[] { "select 1; set dapper_tenants.tenant = 'x'", "SET" },
        new object[] { "do $$ begin perform set_config('dapper_tenants.tenant', 'x', false); end $$", "DO" },
        new object[] { "do language plpgsql $b$ begin execute 'SET   ROLE postgres'; end $b$", "DO" },
        new object[] { "do E'begin execute ''set dapper_tenants\\x2etenant = 1''; end'", "DO" },
        new object[] { "do $$ begin execute 'alter table orders disable row level security'; end $$", "DO" },
        new object[] { "do $$ begin insert into audit_log values (now()); end $$", "DO" },
        new object[] { "alter role current_user set dapper_tenants.tenant = 'x'", "ALTER ROLE" },
        new object[] { "alter user app in database db set role = 'postgres'", "ALTER ROLE" },
        new object[] { "alter database db set dapper_tenants.tenant to 'x'", "ALTER DATABASE" },
        new object[] { "alter role current_user set statement_timeout = '5s'", "pass" },
    ];

    [TestCaseSource(nameof(Cases))]
    public void Tampering_is_refused_and_its_twin_passes(string sql, string expected) => Verdict(sql).ShouldBe(expected);

    [Test]
    public void A_setting_name_passed_as_parameter_is_checked_at_execution()
    {
        const string Sql = "select set_config(@name, @value, false)";
        Verdict(Sql, "acme", ("name", "dapper_tenants.tenant"), ("value", "x")).ShouldBe("set_config");
        Verdict(Sql, "acme", ("name", "Role"), ("value", "x")).ShouldBe("set_config");
        Verdict(Sql, "acme", ("name", "application_name"), ("value", "x")).ShouldBe("pass");
        Verdict(Sql, "acme", ("name", 5), ("value", "x")).ShouldBe("set_config");
    }

    [Test]
    public void The_configured_setting_name_is_the_one_protected()
    {
        var guard = NewGuard(o => o.SettingName = "app.tenant_id");
        Verdict(guard, "set app.tenant_id = '1'", "acme", sessionOutlivesLease: false).ShouldBe("SET");
        Verdict(guard, "set dapper_tenants.tenant = '1'", "acme", sessionOutlivesLease: false).ShouldBe("pass");
    }
}
