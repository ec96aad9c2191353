using DapperTenants.Tests.Support;
using static DapperTenants.Tests.Guard.GuardHarness;

namespace DapperTenants.Tests.Guard;

/// <summary>Every statement shape that writes a tenant value, on a connection for tenant 'acme'.</summary>
[Category(Categories.Unit)]
public sealed class GuardWriteVerdictTests
{
    private const string Insert = "INSERT public.orders globex";

    private static readonly object[] TextCases =
    [
        // INSERT … VALUES, every row, with and without a column list.
        new object[] { "insert into orders (id, tenant) values (1, 'acme')", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, 'globex')", Insert },
        new object[] { "insert into orders values (1, 'globex', 5)", Insert },
        new object[] { "insert into orders values (1, 'acme', 5)", "pass" },
        new object[] { "insert into orders (tenant, id) values ('acme', 1), ('acme', 2), ('globex', 3)", Insert },
        new object[] { "INSERT INTO Public.ORDERS AS o (ID, TENANT) VALUES (1, 'globex') RETURNING o.id", Insert },
        new object[] { "insert into \"orders\" (\"id\", \"tenant\") values (1, 'globex')", Insert },
        new object[] { "insert into mydb.public.orders (id, tenant) values (1, 'globex')", Insert },
        new object[] { "insert into orders (\"Tenant\", id) values ('globex', 1)", "pass" },
        new object[] { "insert into orders (id) values (1)", "pass" },
        new object[] { "insert into orders default values", "pass" },
        new object[] { "insert into orders (id, tenant) overriding system value values (1, 'globex')", Insert },
        new object[] { "insert into orders (id, tenant[1]) values (1, 'globex')", "pass" },
        new object[] { "insert into other (id, tenant) values (1, 'globex')", "pass" },
        new object[] { "insert into orders (id, tenant, total) values (1, 'globex', (select max(total) from orders where tenant = 'x'))", Insert },

        // Tenant values the guard leaves to the database.
        new object[] { "insert into orders (id, tenant) values (1, default)", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, null)", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, lower('GLOBEX'))", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, 'glo' || 'bex')", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, (select 'globex'))", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, current_setting('x'))", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, 'globex'::\"char\")", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, 'globex' collate \"C\")", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, B'101')", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, 'globex'::public.text)", "pass" },

        // String constants in every form, with and without casts.
        new object[] { "insert into orders (id, tenant) values (1, E'glob\\x65x')", Insert },
        new object[] { "insert into orders (id, tenant) values (1, U&'glob\\0065x')", Insert },
        new object[] { "insert into orders (id, tenant) values (1, U&'glob!0065x' UESCAPE '!')", Insert },
        new object[] { "insert into orders (id, tenant) values (1, $$globex$$)", Insert },
        new object[] { "insert into orders (id, tenant) values (1, $t$globex$t$)", Insert },
        new object[] { "insert into orders (id, tenant) values (1, 'glo'\n  'bex')", Insert },
        new object[] { "insert into orders (id, tenant) values (1, ('globex'))", Insert },
        new object[] { "insert into orders (id, tenant) values (1, 'globex'::text)", Insert },
        new object[] { "insert into orders (id, tenant) values (1, 'globex'::pg_catalog.text::varchar)", Insert },
        new object[] { "insert into orders (id, tenant) values (1, CAST('globex' AS character varying))", Insert },
        new object[] { "insert into orders (id, tenant) values (1, text 'globex')", Insert },
        new object[] { "insert into orders (id, tenant) values (1, \"varchar\" 'globex')", Insert },
        new object[] { "insert into orders (id, tenant) values (1, 'acme'::text)", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, 'globex'::varchar(3))", "INSERT public.orders glo" },
        new object[] { "insert into orders (id, tenant) values (1, 'acmeXYZ'::varchar(4))", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, varchar(4) 'acmeXYZ')", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, N'globex')", Insert },
        new object[] { "insert into orders (id, tenant) values (1, N'acme  ')", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, 'globex'::char(10))", Insert },
        new object[] { "insert into orders (id, tenant) values (1, 'acme  '::bpchar)", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, CAST('acmexyz' AS character(4)))", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, 'acme'::char)", "INSERT public.orders a" },
        new object[] { "insert into orders (id, tenant) values (1, 'ACME')", "INSERT public.orders ACME" },
        new object[] { "insert into orders (id, tenant) values (1, 'acme ')", "INSERT public.orders acme " },
        new object[] { "insert into orders (id, tenant) values (1, 42)", "INSERT public.orders 42" },
        new object[] { "insert into orders (id, tenant) values (1, -(7))", "INSERT public.orders -7" },

        // INSERT … SELECT with constants, labels and UNION.
        new object[] { "insert into orders (id, tenant) select 1, 'globex'", Insert },
        new object[] { "insert into orders (id, tenant) select g, 'globex' as t from generate_series(1, 2) g", Insert },
        new object[] { "insert into orders (id, tenant) select 1, 'globex' t", Insert },
        new object[] { "insert into orders (id, tenant) select distinct on (1) 1, 'globex' where true", Insert },
        new object[] { "insert into orders (id, tenant) select 1, 'acme' union all select 2, 'globex'", Insert },
        new object[] { "insert into orders (id, tenant) (select 1, 'globex')", Insert },
        new object[] { "insert into orders (id, tenant) values (1, 'acme') union values (2, 'globex')", Insert },
        new object[] { "insert into orders (id, tenant) with s as (select 1) select 1, 'globex' from s", Insert },
        new object[] { "insert into orders (id, tenant) select x is distinct from y, 'globex' from t", Insert },
        new object[] { "insert into orders (id, tenant) select 1, N'acme' union all select 2, 'acme  '", "pass" },
        new object[] { "insert into orders (id, tenant) select 1, 'acme  ' union all select 2, 'acme'::char(4) union all select 3, 'acme'::text", "pass" },
        new object[] { "insert into orders (id, tenant) select 1, 'acme  ' union all select 2, 'acme' union all select 3, 'acme'::char(4)", "INSERT public.orders acme  " },
        new object[] { "insert into orders (id, tenant) select 1, 'acme'::varchar union all select 2, 'acme  '::bpchar", "pass" },
        new object[] { "insert into orders (id, tenant) select 1, 'acme  '::varchar union all select 2, 'acme'::bpchar", "INSERT public.orders acme  " },
        new object[] { "insert into orders (id, tenant) values (1, 'acme  ') union all values (2, N'acme')", "INSERT public.orders acme  " },
        new object[] { "insert into orders (id, tenant) select 1, 'acme' union all select 2, 42", "INSERT public.orders 42" },
        new object[] { "insert into orders (id, tenant) select 1, 'acme' union all select 2, 42::text", "INSERT public.orders 42" },
        new object[] { "insert into orders (id, tenant) select 1, 'acme'::varchar union all select 2, 'globex'", Insert },
        new object[] { "insert into orders (id, tenant) select 1, 'acme' union all select 2, lower('GLOBEX') union all select 3, 'globex'", "pass" },
        new object[] { "insert into orders (id, tenant) select 1, 'acme' union all (select 2, 'globex')", "pass" },
        new object[] { "insert into orders select * from other", "pass" },
        new object[] { "insert into orders (id, tenant) select id, tenant from other", "pass" },
        new object[] { "insert into orders (id, tenant) select 1, 'globex' intersect select 1, 'globex'", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, 'globex') limit 0", "pass" },
        new object[] { "insert into orders (id, tenant) table other", "pass" },

        // Upserts.
        new object[] { "insert into orders (id, tenant) values (1, 'acme') on conflict (id) do update set tenant = 'globex'", "INSERT ON CONFLICT DO UPDATE public.orders globex" },
        new object[] { "insert into orders (id, tenant) values (1, 'acme') on conflict (id) where id > 0 do update set (total, tenant) = (1, 'globex') where orders.id = 1", "INSERT ON CONFLICT DO UPDATE public.orders globex" },
        new object[] { "insert into orders as o (id, tenant) values (1, 'acme') on conflict on constraint orders_pkey do update set total = o.total + 1, tenant = excluded.tenant", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, 'acme') on conflict do nothing", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, 'globex') on conflict do nothing", Insert },
        new object[] { "insert into orders (id) values (1) on conflict (id) do update set tenant = 'acme' returning *", "pass" },

        // UPDATE.
        new object[] { "update orders set tenant = 'globex' where id = 1", "UPDATE public.orders globex" },
        new object[] { "UPDATE ONLY public.orders * AS o SET total = 1, tenant = 'globex' FROM other WHERE o.id = other.id RETURNING *", "UPDATE public.orders globex" },
        new object[] { "update orders o set total = 2, tenant = 'acme'", "pass" },
        new object[] { "update orders set (total, tenant) = (1, 'globex')", "UPDATE public.orders globex" },
        new object[] { "update orders set (total, tenant) = row(1, 'globex')", "UPDATE public.orders globex" },
        new object[] { "update orders set (total, tenant) = (select 1, 'globex')", "pass" },
        new object[] { "update orders set tenant = case when true then 'globex' end", "pass" },
        new object[] { "update orders set tenant = default", "pass" },
        new object[] { "update orders set total = x is distinct from y, tenant = 'globex'", "UPDATE public.orders globex" },
        new object[] { "update orders set total = case when x then 1 else 2 end, tenant = 'globex'", "UPDATE public.orders globex" },
        new object[] { "update orders set total = 1 from other where other.tenant = 'globex'", "pass" },
        new object[] { "update orders set tenant.x = 'globex'", "pass" },

        // MERGE.
        new object[] { "merge into orders t using (values (1)) s(id) on t.id = s.id when matched then update set tenant = 'globex'", "MERGE UPDATE public.orders globex" },
        new object[] { "merge into orders t using src s on t.id = s.id when not matched then insert (id, tenant) values (s.id, 'globex')", "MERGE INSERT public.orders globex" },
        new object[] { "MERGE INTO ONLY orders AS t USING src AS s ON t.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (s.id, 'globex', 1)", "MERGE INSERT public.orders globex" },
        new object[] { "merge into orders t using src s on t.id = s.id when matched and t.total > 0 then delete when not matched then insert (id, tenant) values (s.id, s.tenant)", "pass" },
        new object[] { "merge into orders t using src s on t.id = case when s.id > 0 then s.id end when matched then update set tenant = 'acme' when not matched then do nothing", "pass" },
        new object[] { "merge into orders t using src s on t.id = s.id when matched and case when s.x then true end then update set total = case when s.y then 1 else 2 end when not matched then insert (id, tenant) values (1, 'globex')", "MERGE INSERT public.orders globex" },
        new object[] { "merge into orders t using src s on true when not matched then insert default values", "pass" },

        // Data-modifying CTEs, EXPLAIN ANALYZE, several statements.
        new object[] { "with x as (insert into orders (id, tenant) values (1, 'globex') returning id) select * from x", Insert },
        new object[] { "with recursive r(n) as (select 1), u as materialized (update orders set tenant = 'globex' returning 1) select 1", "UPDATE public.orders globex" },
        new object[] { "with x as not materialized (select 1) insert into orders (id, tenant) values (1, 'globex')", Insert },
        new object[] { "with x as (select 'globex' as t) insert into orders (id, tenant) select 1, t from x", "pass" },
        new object[] { "with x as (select 1) search depth first by a set o, y as (insert into orders values (1, 'globex', 1)) select 1", Insert },
        new object[] { "explain insert into orders (id, tenant) values (1, 'globex')", "pass" },
        new object[] { "explain analyze verbose insert into orders (id, tenant) values (1, 'globex')", "EXPLAIN ANALYZE" },
        new object[] { "explain (analyze false) insert into orders (id, tenant) values (1, 'globex')", "pass" },
        new object[] { "select 1; insert into orders (id, tenant) values (1, 'globex');", Insert },
        new object[] { "select ';', $$;$$ /* ; */; -- ;\ninsert into orders (id, tenant) values (1, 'globex')", Insert },
        new object[] { "create function f() returns int begin atomic insert into orders values (1, 'globex', 1); select 1; end", "CREATE FUNCTION" },

        // Statements the guard cannot fully analyze are left to the database.
        new object[] { "insert into orders (id, tenant) values (1, 'globex') garbage", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, 'globex'", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, 'globex'), (2, 123abc)", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, 'globex') \\", "pass" },
        new object[] { "insert into orders (id, tenant) values (1, 'globex') garbage; select 1", "pass" },
        new object[] { "insert into padded (id, tenant) values (1, 'globex')", "pass" },
    ];

    [TestCaseSource(nameof(TextCases))]
    public void Text_tenants(string sql, string expected) => Verdict(sql).ShouldBe(expected);

    private static readonly object[] AllowedCodeCases =
    [
        // Where EXPLAIN ANALYZE is allowed, it runs its statement: the statement's writes are judged.
        new object[] { "explain analyze verbose insert into orders (id, tenant) values (1, 'globex')", Insert },
        new object[] { "explain (analyze, costs off) insert into orders (id, tenant) values (1, 'globex')", Insert },
        new object[] { "explain (analyze 'on') insert into orders (id, tenant) values (1, 'acme')", "pass" },

        // Where functions may be created, a SQL-standard body's statements are judged as written.
        new object[] { "create function f() returns int begin atomic insert into orders values (1, 'globex', 1); select 1; end", Insert },
        new object[] { "create function f() returns int begin atomic insert into orders values (1, 'acme', 1); select 1; end", "pass" },
    ];

    [TestCaseSource(nameof(AllowedCodeCases))]
    public void Statements_that_run_later_or_inside_are_judged_where_they_are_allowed(string sql, string expected) =>
        Verdict(NewGuard(o => (o.AllowExplainAnalyze, o.AllowDynamicSql) = (true, true)), sql, "acme", sessionOutlivesLease: false).ShouldBe(expected);

    [Test]
    public void Statements_before_one_whose_brackets_do_not_balance_are_judged()
    {
        // Npgsql sends each statement of a text on its own: the first two run before PostgreSQL rejects the third.
        Verdict("insert into orders (id, tenant) values (1, 'globex'); select (").ShouldBe(Insert);
        Verdict("select 1; insert into orders (id, tenant) values (1, 'globex'); select ]").ShouldBe(Insert);

        // From the unbalanced statement on, nothing runs (PostgreSQL rejects it before the later ones are reached).
        Verdict("select (; insert into orders (id, tenant) values (1, 'globex')").ShouldBe("pass");
        Verdict("select ); set role postgres").ShouldBe("pass");
    }

    private static readonly object[] ParameterCases =
    [
        new object?[] { "insert into orders (id, tenant) values (@id, @tenant)", "tenant", "globex", Insert },
        new object?[] { "insert into orders (id, tenant) values (@id, @tenant)", "tenant", "acme", "pass" },
        new object?[] { "insert into orders (id, tenant) values (:id, :tenant)", "tenant", "globex", Insert },
        new object?[] { "insert into orders (id, tenant) values (@id, @Tenant)", "tenant", "globex", Insert },
        new object?[] { "insert into orders (id, tenant) values (@id, @tenant)", "@tenant", "globex", Insert },
        new object?[] { "insert into orders (id, tenant) values (@id, @tenant)", ":tenant", "globex", Insert },
        new object?[] { "insert into orders (id, tenant) values (@id, @other)", "tenant", "globex", "pass" },
        new object?[] { "insert into orders (id, tenant) values (@id, @tenant::text)", "tenant", "globex", Insert },
        new object?[] { "insert into orders (id, tenant) values (@id, CAST(@tenant AS varchar(3)))", "tenant", "globex", "INSERT public.orders glo" },
        new object?[] { "insert into orders (id, tenant) values (@id, @tenant)", "tenant", null, "pass" },
        new object?[] { "insert into orders (id, tenant) values (@id, @tenant)", "tenant", DBNull.Value, "pass" },
        new object?[] { "insert into orders (id, tenant) values (@id, @tenant)", "tenant", 42, "INSERT public.orders 42" },
        new object?[] { "insert into orders (id, tenant) values (@id, @tenant)", "tenant", 1.5, "pass" },
        new object?[] { "update orders set tenant = @tenant where id = @id", "tenant", "globex", "UPDATE public.orders globex" },
        new object?[] { "update orders set tenant = @tenant.x", "tenant.x", "globex", "UPDATE public.orders globex" },
        new object?[] { "insert into orders (id, tenant) values (1, 'acme') on conflict (id) do update set tenant = @t", "t", "globex", "INSERT ON CONFLICT DO UPDATE public.orders globex" },
        new object?[] { "merge into orders t using src s on t.id = s.id when matched then update set tenant = :t", "t", "globex", "MERGE UPDATE public.orders globex" },
    ];

    [TestCaseSource(nameof(ParameterCases))]
    public void Named_parameters(string sql, string name, object? value, string expected) =>
        Verdict(sql, "acme", ("id", 1), (name, value)).ShouldBe(expected);

    [Test]
    public void Positional_parameters_are_read_by_index()
    {
        Verdict("insert into orders (id, tenant) values ($1, $2)", "acme", (null, 1), (null, "globex")).ShouldBe(Insert);
        Verdict("insert into orders (id, tenant) values ($1, $2)", "acme", (null, 1), (null, "acme")).ShouldBe("pass");
        Verdict("insert into orders (id, tenant) values ($1, $3)", "acme", (null, 1), (null, "globex")).ShouldBe("pass");

        // With named parameters Npgsql renumbers the placeholders, so $n no longer means the n-th parameter.
        Verdict("insert into orders (id, tenant) values (@id, $2)", "acme", ("id", 1), ("x", "globex")).ShouldBe("pass");
    }

    private static readonly object[] TypedCases =
    [
        // uuid tenants compare as UUIDs.
        new object?[] { "insert into \"Invoices\" (tenant_id, \"Id\") values ('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 1)", AcmeUuid, null, "pass" },
        new object?[] { "insert into \"Invoices\" values ('{a0eebc999c0b4ef8bb6d6bb9bd380a11}', 1, 'n')", AcmeUuid, null, "pass" },
        new object?[] { "insert into \"Invoices\" values ('a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11'::uuid, 1, 'n')", AcmeUuid, null, "pass" },
        new object?[] { "insert into \"Invoices\" values (uuid 'B1FFCD00-0000-4000-8000-000000000002', 1, 'n')", AcmeUuid, null, $"INSERT public.Invoices {GlobexUuid}" },
        new object?[] { "insert into \"Invoices\" values ('(a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11)', 1, 'n')", AcmeUuid, null, "pass" },
        new object?[] { "insert into \"Invoices\" values ('b1ffcd00-0000-4000-8000-000000000002'::text, 1, 'n')", AcmeUuid, null, "pass" },
        new object?[] { "insert into \"Invoices\" values (@t, 1, 'n')", AcmeUuid, Guid.Parse(GlobexUuid), $"INSERT public.Invoices {GlobexUuid}" },
        new object?[] { "insert into \"Invoices\" values (@t, 1, 'n')", AcmeUuid, Guid.Parse(AcmeUuid), "pass" },
        new object?[] { "insert into \"Invoices\" values (@t::uuid, 1, 'n')", AcmeUuid, GlobexUuid.ToUpperInvariant(), $"INSERT public.Invoices {GlobexUuid}" },
        new object?[] { "insert into \"Invoices\" values (@t, 1, 'n')", AcmeUuid, GlobexUuid, "pass" },
        new object?[] { "insert into \"Invoices\" values ('b1ffcd00-0000-4000-8000-000000000002', 1, 'n')", "acme", null, "pass" },

        // integer tenants compare as integers.
        new object?[] { "insert into accounts (id, tenant) select 1, 42 union all select 2, '7'", "42", null, "INSERT public.accounts 7" },
        new object?[] { "insert into \"Invoices\" (tenant_id, \"Id\") select 'B1FFCD00-0000-4000-8000-000000000002', 1 union all select @t::uuid, 2", AcmeUuid, AcmeUuid, $"INSERT public.Invoices {GlobexUuid}" },
        new object?[] { "insert into accounts values (1, 'x', 42)", "42", null, "pass" },
        new object?[] { "insert into accounts values (1, 'x', 7)", "42", null, "INSERT public.accounts 7" },
        new object?[] { "insert into accounts values (1, 'x', '042'), (2, 'y', ' 42 '), (3, 'z', '+42')", "42", null, "pass" },
        new object?[] { "insert into accounts values (1, 'x', '7')", "42", null, "INSERT public.accounts 7" },
        new object?[] { "insert into accounts values (1, 'x', -42)", "42", null, "INSERT public.accounts -42" },
        new object?[] { "insert into accounts values (1, 'x', CAST(7 AS smallint))", "42", null, "INSERT public.accounts 7" },
        new object?[] { "insert into accounts values (1, 'x', int4 '7')", "42", null, "INSERT public.accounts 7" },
        new object?[] { "insert into accounts values (1, 'x', '7'::text)", "42", null, "pass" },
        new object?[] { "insert into accounts values (1, 'x', 42::bigint)", "42", null, "pass" },
        new object?[] { "insert into accounts values (1, 'x', 99999999999)", "42", null, "pass" },
        new object?[] { "insert into accounts values (1, 'x', 7)", " 042", null, "INSERT public.accounts 7" },
        new object?[] { "insert into accounts values (1, 'x', 7)", "acme", null, "pass" },
        new object?[] { "insert into accounts values (1, 'x', @t)", "42", 7, "INSERT public.accounts 7" },
        new object?[] { "insert into accounts values (1, 'x', @t)", "42", 42L, "pass" },
        new object?[] { "insert into accounts values (1, 'x', @t)", "42", "7", "pass" },
        new object?[] { "insert into accounts values (1, 'x', @t::int)", "42", "7", "INSERT public.accounts 7" },

        // character varying(20): too long is an error, unless only spaces are cut off.
        new object?[] { "insert into app.notes (id, tenant) values (1, 'acme')", "acme", null, "pass" },
        new object?[] { "insert into app.notes (id, tenant) values (1, 'acme                         ')", "acme", null, "INSERT app.notes acme                " },
        new object?[] { "insert into app.notes (id, tenant) values (1, 'acmeacmeacmeacmeacmeX')", "acme", null, "pass" },
        new object?[] { "insert into notes (id, tenant) values (1, @t)", "acme", "globex", "INSERT app.notes globex" },
    ];

    [TestCaseSource(nameof(TypedCases))]
    public void Typed_tenants(string sql, string tenant, object? value, string expected) =>
        Verdict(sql, tenant, ("t", value)).ShouldBe(expected);
}
