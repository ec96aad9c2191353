using DapperTenants.Tests.Support;
using static DapperTenants.Tests.Guard.GuardHarness;

namespace DapperTenants.Tests.Guard;

/// <summary>The exact words of every refusal: what, where, which tenants, and the fix.</summary>
[Category(Categories.Unit)]
public sealed class GuardMessageTests
{
    private static readonly object[] Cases =
    [
        new object[]
        {
            "do $$ begin perform set_config('dapper_tenants.tenant', 'x', false); end $$",
            "DO block was refused: the guard cannot see what PL/pgSQL runs (EXECUTE of a string built at run time, set_config through a "
            + "variable), so the block could change the tenant setting dapper_tenants.tenant or the role behind the connection's back. Run its "
            + "statements as plain SQL, or call a function installed by the schema owner. To allow it on tenant connections, set "
            + "TenantOptions.AllowDynamicSql, which weakens isolation (see its documentation).",
        },
        new object[]
        {
            "alter role current_user set dapper_tenants.tenant = 'x'",
            "ALTER ROLE ... SET dapper_tenants.tenant was refused: it changes the default of the tenant setting dapper_tenants.tenant for later "
            + "sessions, behind every tenant connection's back. Configure roles and databases as their owner, outside tenant connections.",
        },
        new object[]
        {
            "insert into orders (id, tenant) values (1, 'globex')",
            "INSERT into public.orders writes tenant 'globex', but this connection belongs to tenant 'acme'. "
            + "Open a connection for 'globex' (tenants.Open(\"globex\")) or remove the tenant column so its default stamps 'acme'.",
        },
        new object[]
        {
            "insert into orders (id, tenant) values (1, 'acme') on conflict (id) do update set tenant = 'globex'",
            "INSERT ... ON CONFLICT DO UPDATE on public.orders sets tenant 'globex', but this connection belongs to tenant 'acme'. "
            + "A row cannot move to another tenant: remove the tenant column from the DO UPDATE SET list.",
        },
        new object[]
        {
            "update orders set tenant = 'globex'",
            "UPDATE of public.orders sets tenant 'globex', but this connection belongs to tenant 'acme'. "
            + "A row cannot move to another tenant: remove the tenant column from the SET list.",
        },
        new object[]
        {
            "merge into orders t using src s on t.id = s.id when not matched then insert (id, tenant) values (s.id, 'globex')",
            "MERGE into public.orders inserts tenant 'globex', but this connection belongs to tenant 'acme'. "
            + "Open a connection for 'globex' (tenants.Open(\"globex\")) or remove the tenant column from the INSERT so its default stamps 'acme'.",
        },
        new object[]
        {
            "merge into orders t using src s on t.id = s.id when matched then update set tenant = 'globex'",
            "MERGE into public.orders updates tenant to 'globex', but this connection belongs to tenant 'acme'. "
            + "A row cannot move to another tenant: remove the tenant column from the UPDATE SET list.",
        },
        new object[]
        {
            "set local dapper_tenants.tenant = 'globex'",
            "SET LOCAL dapper_tenants.tenant was refused: the connection carries its tenant 'acme' in the setting dapper_tenants.tenant, "
            + "and changing it would switch tenants behind the connection's back. To work as another tenant, open a connection for it with tenants.Open(...).",
        },
        new object[]
        {
            "reset dapper_tenants.tenant",
            "RESET dapper_tenants.tenant was refused: the connection carries its tenant 'acme' in the setting dapper_tenants.tenant, "
            + "and changing it would switch tenants behind the connection's back. To work as another tenant, open a connection for it with tenants.Open(...).",
        },
        new object[]
        {
            "select set_config('Dapper_Tenants.Tenant', 'globex', false)",
            "set_config('dapper_tenants.tenant', ...) was refused: the connection carries its tenant 'acme' in the setting dapper_tenants.tenant, "
            + "and changing it would switch tenants behind the connection's back. To work as another tenant, open a connection for it with tenants.Open(...).",
        },
        new object[]
        {
            "select set_config(lower('X'), 'v', false)",
            "set_config with a setting name that is not a constant was refused: the guard cannot tell whether it changes the tenant setting "
            + "dapper_tenants.tenant. Write the setting name as a string literal or pass it as a parameter, such as set_config('application_name', ...).",
        },
        new object[]
        {
            "reset all",
            "RESET ALL was refused: it would also clear the tenant setting dapper_tenants.tenant, which carries this connection's tenant 'acme'. "
            + "Reset only the settings you changed, one by one (RESET name).",
        },
        new object[]
        {
            "discard all",
            "DISCARD ALL was refused: it would also clear the tenant setting dapper_tenants.tenant, which carries this connection's tenant 'acme'. "
            + "Use DISCARD PLANS, DISCARD SEQUENCES or DISCARD TEMP for what you need.",
        },
        new object[]
        {
            "set role admin",
            "SET ROLE was refused: a tenant connection must keep the login it was opened with, because another role may bypass or change "
            + "the Row-Level Security policies that isolate tenants. Connect the data source as the role you need instead.",
        },
        new object[]
        {
            "select set_config('role', 'admin', false)",
            "set_config('role', ...) was refused: a tenant connection must keep the login it was opened with, because another role may bypass or change "
            + "the Row-Level Security policies that isolate tenants. Connect the data source as the role you need instead.",
        },
        new object[]
        {
            "set session authorization admin",
            "SET SESSION AUTHORIZATION was refused: a tenant connection must keep the login it was opened with, because another role may bypass or change "
            + "the Row-Level Security policies that isolate tenants. Connect the data source as the role you need instead.",
        },
        new object[]
        {
            "alter table orders disable row level security",
            "ALTER TABLE public.orders DISABLE ROW LEVEL SECURITY was refused: it would switch off tenant isolation for the table. "
            + "Manage Row-Level Security with PolicyInstaller on an owner connection, not on a tenant connection.",
        },
        new object[]
        {
            "alter table orders no force row level security",
            "ALTER TABLE public.orders NO FORCE ROW LEVEL SECURITY was refused: it would exempt the table's owner from tenant isolation. "
            + "Manage Row-Level Security with PolicyInstaller on an owner connection, not on a tenant connection.",
        },
        new object[]
        {
            "drop policy p on orders",
            "DROP POLICY on public.orders was refused: it would remove the tenant isolation of the table. "
            + "Manage Row-Level Security with PolicyInstaller on an owner connection, not on a tenant connection.",
        },
        new object[]
        {
            "alter policy p on orders rename to q",
            "ALTER POLICY on public.orders was refused: it would change the tenant isolation of the table. "
            + "Manage Row-Level Security with PolicyInstaller on an owner connection, not on a tenant connection.",
        },
        new object[]
        {
            "create policy p on orders using (true)",
            "CREATE POLICY on public.orders was refused: a permissive policy would widen which rows tenants can see and write. "
            + "Manage Row-Level Security with PolicyInstaller on an owner connection, not on a tenant connection.",
        },
        new object[]
        {
            "copy orders from stdin",
            "COPY public.orders FROM was refused: the guard cannot check the tenant of copied rows, and PostgreSQL does not support COPY FROM "
            + "into a table with row-level security. Insert the rows with INSERT statements instead.",
        },
        new object[]
        {
            "update pg_settings set setting = 'x' where name = 'dapper_tenants.tenant'",
            "UPDATE of pg_settings was refused: it can change the tenant setting dapper_tenants.tenant, which carries this connection's tenant 'acme'. "
            + "Change other settings with SET or set_config('name', ...).",
        },
    ];

    [TestCaseSource(nameof(Cases))]
    public void Refusals_say_what_where_who_and_how_to_fix_it(string sql, string expected) => Message(sql).ShouldBe(expected);

    [Test]
    public void The_exception_carries_the_details()
    {
        using var command = Command(("t", "globex"));
        var ex = Should.Throw<TenantGuardException>(() => Evaluate(NewGuard(), "insert into orders (id, tenant) values (1, @t)", command.Parameters, "acme"));
        ex.StatementKind.ShouldBe("INSERT");
        ex.Table.ShouldBe("public.orders");
        ex.FoundTenant.ShouldBe("globex");
        ex.ConnectionTenant.ShouldBe("acme");
        ex.ShouldBeAssignableTo<TenantIsolationException>();
    }

    [Test]
    public void Long_tenant_values_are_shortened_in_the_message_but_not_in_the_property()
    {
        var value = new string('x', 300);
        using var command = Command(("t", value));
        var ex = Should.Throw<TenantGuardException>(() => Evaluate(NewGuard(), "update orders set tenant = @t", command.Parameters, "acme"));
        ex.Message.ShouldStartWith($"UPDATE of public.orders sets tenant '{new string('x', 200)}...', but");
        ex.FoundTenant.ShouldBe(value);
    }
}
