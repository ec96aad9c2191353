using DapperTenants.Tests.Support;
using static DapperTenants.Tests.Guard.GuardHarness;

namespace DapperTenants.Tests.Guard;

/// <summary>
/// SQL the guard cannot read as statements — DO blocks, code created on the connection, built-ins that run a query
/// text — refused by default; a query given as a string constant is read and judged like any statement.
/// </summary>
[Category(Categories.Unit)]
public sealed class GuardDynamicSqlTests
{
    private const string SetConfigAttack = "select set_config(''dapper_tenants.tenant'', ''globex'', true)";

    private static readonly object[] DefaultCases =
    [
        // DO blocks, whatever they do.
        new object[] { "do $$ begin insert into audit_log values (now()); end $$", "DO" },
        new object[] { "DO LANGUAGE plpgsql $b$ begin null; end $b$", "DO" },
        new object[] { "select 1; do 'begin null; end'", "DO" },

        // Code: functions (temporary ones too), procedures, and what runs inside other statements.
        new object[] { "create function pg_temp.f() returns int language sql as 'select 1'", "CREATE FUNCTION" },
        new object[] { "CREATE OR REPLACE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ begin return new; end $$", "CREATE FUNCTION" },
        new object[] { "create procedure p() language sql as $$ select 1 $$", "CREATE PROCEDURE" },
        new object[] { "create trigger t before insert on audit_log for each row execute function f()", "CREATE TRIGGER" },
        new object[] { "create constraint trigger t after insert on audit_log for each row execute function f()", "CREATE TRIGGER" },
        new object[] { "create event trigger t on ddl_command_start execute function f()", "CREATE EVENT TRIGGER" },
        new object[] { "create or replace rule r as on insert to audit_log do also select 1", "CREATE RULE" },
        new object[] { "create aggregate pg_temp.a(text, boolean) (sfunc = set_config, stype = text)", "CREATE AGGREGATE" },
        new object[] { "create operator pg_temp.### (rightarg = text, function = ts_stat)", "CREATE OPERATOR" },
        new object[] { "create cast (text as pg_temp.t) with function pg_temp.f(text)", "CREATE CAST" },
        new object[] { "create extension tablefunc", "CREATE EXTENSION" },
        new object[] { "create trusted language plx handler h", "CREATE LANGUAGE" },
        new object[] { "alter function f() set search_path = evil", "ALTER FUNCTION" },
        new object[] { "alter routine f() security definer", "ALTER ROUTINE" },
        new object[] { "alter procedure p() owner to admin", "ALTER PROCEDURE" },
        new object[] { "create schema s create table t (id int) create trigger g before insert on t for each row execute function f()", "CREATE TRIGGER" },
        new object[] { "create schema s create table t (id int) create view v as select 1", "pass" },
        new object[] { "create server loop foreign data wrapper postgres_fdw options (options '-c dapper_tenants.tenant=globex')", "CREATE SERVER" },
        new object[] { "create user mapping for current_user server loop options (user 'app')", "CREATE SERVER" },
        new object[] { "alter server loop options (set options '-c x=y')", "ALTER SERVER" },

        // Built-ins that run a query text: a constant is read as SQL, anything else is refused.
        new object[] { $"select query_to_xml('{SetConfigAttack}', false, false, '')", "set_config" },
        new object[] { $"select pg_catalog.query_to_xmlschema('{SetConfigAttack}', false, false, '')", "set_config" },
        new object[] { $"select query_to_xml_and_xmlschema(query => '{SetConfigAttack}', nulls => false, tableforest => false, targetns => '')", "set_config" },
        new object[] { $"select * from ts_stat('{SetConfigAttack}')", "set_config" },
        new object[] { $"select ts_rewrite('a'::tsquery, '{SetConfigAttack}')", "set_config" },
        new object[] { "select query_to_xml('select * from orders', false, false, '')", "pass" },
        new object[] { "select query_to_xml('select ''set_config''', false, false, '')", "pass" },
        new object[] { "select query_to_xml($q$select * from orders where note <> 'x'$q$::text, false, false, '')", "pass" },
        new object[] { "select * from ts_stat('select to_tsvector(note) from orders')", "pass" },
        new object[] { "select ts_rewrite('a'::tsquery, 'b'::tsquery, 'c'::tsquery)", "pass" },
        new object[] { "select ts_rewrite('a'::tsquery, 'select ''a''::tsquery, ''b''::tsquery')", "pass" },
        new object[] { "select query_to_xml('set_' || 'config', false, false, '')", "query_to_xml" },
        new object[] { "select query_to_xml(@q, false, false, '')", "query_to_xml" },
        new object[] { "select query_to_xml($1, false, false, '')", "query_to_xml" },
        new object[] { "select query_to_xml(q, false, false, '') from queries", "query_to_xml" },
        new object[] { "select \"query_to_xml\"('x' || 'y', false, false, '')", "query_to_xml" },
        new object[] { "select ts_stat(lower('SELECT 1'))", "ts_stat" },
        new object[] { "select ('select to_tsvector(''a'')'::text).ts_stat", "ts_stat" },
        new object[] { "select (array['select to_tsvector(''a'')'])[1].ts_stat", "ts_stat" },
        new object[] { "select $1.ts_stat", "ts_stat" },
        new object[] { "select t.ts_stat from t", "pass" },
        new object[] { "select ts_rewrite('a'::tsquery, upper('x'))", "ts_rewrite" },
        new object[] { "select cursor_to_xml('c', 10, false, false, '')", "cursor_to_xml" },
        new object[] { "select myschema.query_to_xml(q, false, false, '') from t", "pass" },
        new object[] { "select table_to_xml('orders', false, false, '')", "pass" },
        new object[] { "select cursor_to_xmlschema('c', false, false, '')", "pass" },

        // SQL inside the query text is judged like the command's own statements, refusals and writes alike.
        new object[] { "select query_to_xml('do $$ begin null; end $$', false, false, '')", "DO" },
        new object[] { "select query_to_xml('explain analyze select * from orders', false, false, '')", "EXPLAIN ANALYZE" },
        new object[] { $"select query_to_xml('select query_to_xml(''{SetConfigAttack.Replace("'", "''", StringComparison.Ordinal)}'', false, false, '''')', false, false, '')", "set_config" },
        new object[] { "select query_to_xml('select set_config(@name, ''x'', true)', false, false, '')", "set_config" },

        // Extension functions that run SQL (tablefunc, dblink, xml2), in whatever schema they were installed.
        new object[] { $"select * from crosstab('{SetConfigAttack}') as t(a text)", "set_config" },
        new object[] { "select * from public.crosstab('select 1, 2, 3', 'select 1') as t(a int, b int)", "pass" },
        new object[] { "select * from crosstab('select 1, 2, 3', 2) as t(a int, b int)", "pass" },
        new object[] { "select * from crosstab(@source) as t(a int)", "crosstab" },
        new object[] { "select * from ext.connectby('t', 'id', 'parent', '1', 0) as t(id int)", "connectby" },
        new object[] { "select dblink_exec('dbname=app', 'reset all')", "dblink_exec" },
    ];

    [TestCaseSource(nameof(DefaultCases))]
    public void Sql_the_guard_cannot_read_is_refused_by_default(string sql, string expected) => Verdict(sql).ShouldBe(expected);

    private static readonly object[] AllowedCases =
    [
        new object[] { "do $$ begin insert into audit_log values (now()); end $$", "pass" },

        // A DO block that lists object types, one of them 'policy', in strings (the false positive of issue 13).
        new object[] { "do $$ declare t text; begin foreach t in array array['table', 'policy', 'role'] loop perform pg_get_object_address(t, '{x}', '{}'); end loop; end $$", "pass" },
        new object[] { "do $$ begin raise notice 'no set role here, nor row level security'; end $$", "pass" },
        new object[] { "do $$ begin /* set role admin */ null; end $$", "pass" },
        new object[] { "do $$ begin perform set_config('dapper_tenants.tenant', 'x', false); end $$", "DO" },
        new object[] { "do $$ begin perform current_setting('DAPPER_TENANTS.TENANT'); end $$", "DO" },
        new object[] { "do $$ begin set role admin; end $$", "DO" },
        new object[] { "do $$ begin execute 'SET   ROLE admin'; end $$", "DO" },
        new object[] { "do $$ begin execute 'alter table orders disable row level security'; end $$", "DO" },
        new object[] { "do $$ begin execute format('select %s(%L, %L, false)', 'set_config', 'a', 'b'); end $$", "DO" },
        new object[] { "do $$ begin perform query_to_xml('select 1', false, false, ''); end $$", "DO" },
        new object[] { "do $$ begin execute $x$ do $y$ begin reset all; end $y$ $x$; end $$", "DO" },
        new object[] { "do $$ begin drop policy p on t; end $$", "DO" },

        // Functions may be created; their bodies are read the same way, and a SET clause on the tenant setting is refused.
        new object[] { "create function f() returns int language sql as $$ select count(*)::int from orders $$", "pass" },
        new object[] { "create function f() returns text language sql as $$ select set_config('a.b', 'c', true) $$", "CREATE FUNCTION" },
        new object[] { "create function f() returns setof orders language sql set dapper_tenants.tenant = 'globex' as 'select * from orders'", "CREATE FUNCTION" },
        new object[] { "alter function f() set dapper_tenants.tenant to 'globex'", "ALTER FUNCTION" },
        new object[] { "alter function f() set role to admin", "ALTER FUNCTION" },
        new object[] { "alter function f() set search_path = public", "pass" },
        new object[] { "create trigger t before insert on audit_log for each row execute function f()", "pass" },

        // Query texts that are not constants pass; constants are still read.
        new object[] { "select query_to_xml(@q, false, false, '')", "pass" },
        new object[] { $"select query_to_xml('{SetConfigAttack}', false, false, '')", "set_config" },
    ];

    [TestCaseSource(nameof(AllowedCases))]
    public void With_AllowDynamicSql_only_what_the_guard_can_see_is_refused(string sql, string expected) =>
        Verdict(NewGuard(o => o.AllowDynamicSql = true), sql, "acme", sessionOutlivesLease: false).ShouldBe(expected);

    private static readonly object[] Messages =
    [
        new object[]
        {
            "create function pg_temp.f() returns text language sql as $$ select 1 $$", false,
            "CREATE FUNCTION was refused: its body is code the guard cannot read, and it could change the tenant setting dapper_tenants.tenant "
            + "whenever it runs. A tenant connection may not create or change code: do it as the schema owner, outside tenant connections. "
            + "To allow it on tenant connections, set TenantOptions.AllowDynamicSql, which weakens isolation (see its documentation).",
        },
        new object[]
        {
            "create trigger t after insert on audit_log for each row execute function f()", false,
            "CREATE TRIGGER was refused: it plants code that runs inside later statements, other tenants' included, under their tenant, and "
            + "can copy their rows where this tenant reads them. A tenant connection may not create or change code: do it as the schema owner, "
            + "outside tenant connections. To allow it on tenant connections, set TenantOptions.AllowDynamicSql, which weakens isolation (see its "
            + "documentation).",
        },
        new object[]
        {
            "create aggregate pg_temp.a(text, boolean) (sfunc = set_config, stype = text)", false,
            "CREATE AGGREGATE was refused: it makes syntax the guard does not read as a call run a function (an aggregate over set_config, an "
            + "operator over ts_stat). A tenant connection may not create or change code: do it as the schema owner, outside tenant connections. "
            + "To allow it on tenant connections, set TenantOptions.AllowDynamicSql, which weakens isolation (see its documentation).",
        },
        new object[]
        {
            "select query_to_xml(@q, false, false, '')", false,
            "query_to_xml with a query that is not a string constant was refused: query_to_xml runs the SQL text it is given, which the guard "
            + "cannot see, so it could change the tenant setting dapper_tenants.tenant behind the connection's back. Write the query as a string "
            + "literal (the guard then checks it like any statement), or run the query itself. To allow it on tenant connections, set "
            + "TenantOptions.AllowDynamicSql, which weakens isolation (see its documentation).",
        },
        new object[]
        {
            "select cursor_to_xml('c', 10, false, false, '')", false,
            "cursor_to_xml was refused: it runs the query of a cursor, which the guard cannot see, so it could change the tenant setting "
            + "dapper_tenants.tenant or read other tenants' rows behind the connection's back. Run the SQL as statements the guard can check. "
            + "To allow it on tenant connections, set TenantOptions.AllowDynamicSql, which weakens isolation (see its documentation).",
        },
        new object[]
        {
            $"select query_to_xml('{SetConfigAttack}', false, false, '')", false,
            "set_config('dapper_tenants.tenant', ...) was refused: the connection carries its tenant 'acme' in the setting dapper_tenants.tenant, "
            + "and changing it would switch tenants behind the connection's back. To work as another tenant, open a connection for it with tenants.Open(...).",
        },
        new object[]
        {
            "do $$ begin execute 'set role admin'; end $$", true,
            "DO block was refused: its body mentions 'SET ROLE', and the guard cannot follow PL/pgSQL, so it could change the tenant setting "
            + "dapper_tenants.tenant, the role or row-level security behind the connection's back. Move the logic into SQL statements the guard "
            + "can check, or into a function installed by the schema owner.",
        },
        new object[]
        {
            "create function f() returns text language sql as 'select set_config(''a.b'', ''c'', true)'", true,
            "CREATE FUNCTION was refused: its body mentions 'set_config', and the guard cannot follow the routine's code, so it could change the "
            + "tenant setting dapper_tenants.tenant, the role or row-level security whenever it runs. Install routines as the schema owner, outside "
            + "tenant connections.",
        },
        new object[]
        {
            "create function f() returns int language sql set dapper_tenants.tenant = 'globex' as 'select 1'", true,
            "CREATE FUNCTION ... SET dapper_tenants.tenant was refused: the connection carries its tenant 'acme' in the setting "
            + "dapper_tenants.tenant, and changing it would switch tenants behind the connection's back. To work as another tenant, open a "
            + "connection for it with tenants.Open(...).",
        },
    ];

    [TestCaseSource(nameof(Messages))]
    public void Refusals_name_the_statement_the_reason_and_the_fix(string sql, bool allowDynamicSql, string expected) =>
        Message(NewGuard(o => o.AllowDynamicSql = allowDynamicSql), sql, sessionOutlivesLease: false).ShouldBe(expected);

    [Test]
    public void A_query_nested_deeper_than_the_guard_reads_is_refused()
    {
        var query = "select 1";
        for (var level = 0; level < 4; level++)
        {
            query = $"select query_to_xml('{query.Replace("'", "''", StringComparison.Ordinal)}', false, false, '')";
        }

        Message(query).ShouldBe("query_to_xml was refused: its query sits more than 3 levels deep in string constants, deeper than the guard "
            + "reads. Run the query itself. To allow it on tenant connections, set TenantOptions.AllowDynamicSql, which weakens isolation (see its "
            + "documentation).");
    }
}
