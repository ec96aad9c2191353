using Npgsql;

namespace DapperTenants.Tests.Reliability;

/// <summary>The first attacks: changing the setting or the role, the policies, reads that must see nothing, and PostgreSQL's own limits.</summary>
public partial class AttackTests
{
    /// <summary>The read that follows a switch attempt.</summary>
    private const string Read = "select id, tenant, note from orders";

    private const string Denied = PostgresErrorCodes.InsufficientPrivilege;

    /// <summary>Changing the tenant setting, the role or the policies, in the forms PostgreSQL accepts.</summary>
    public static IEnumerable<AttackCase> SettingCases =>
    [
        new("SET", Outcome.Guard, $"set dapper_tenants.tenant = 'globex'; {Read}") { Undefended = true, Kind = "SET" },
        new("SET_TO_DEFAULT", Outcome.Guard, $"set dapper_tenants.tenant to default; {Read}") { Kind = "SET" },
        new("SET_LOCAL", Outcome.Guard, $"set local dapper_tenants.tenant = 'globex'; {Read}") { Undefended = true, Kind = "SET LOCAL" },
        new("SET_SESSION_mixed_case", Outcome.Guard, $"SeT SESSION Dapper_Tenants.TENANT TO 'globex'; {Read}") { Undefended = true, Kind = "SET SESSION" },
        new("SET_quoted_whole_name", Outcome.Guard, $"set \"dapper_tenants.tenant\" = 'globex'; {Read}") { Undefended = true, Kind = "SET" },
        new("SET_quoted_mixed_case_parts", Outcome.Guard, $"set local \"Dapper_Tenants\".\"Tenant\" = 'globex'; {Read}") { Undefended = true, Kind = "SET LOCAL" },
        new("SET_spaces_and_comment_around_the_dot", Outcome.Guard, $"set dapper_tenants /* x */ . tenant = 'globex'; {Read}") { Undefended = true, Kind = "SET" },
        new("SET_unicode_escaped_name", Outcome.Guard, $"set U&\"dapper\\005ftenants\".tenant = 'globex'; {Read}") { Undefended = true, Kind = "SET" },
        new("SET_unicode_escape_character_changed", Outcome.Guard, $"set local U&\"dapper!005ftenants\" UESCAPE '!' . tenant = 'globex'; {Read}") { Undefended = true, Kind = "SET LOCAL" },
        new("set_config_call", Outcome.Guard, $"select set_config('dapper_tenants.tenant', 'globex', false) is null; {Read}") { Undefended = true, Kind = "set_config" },
        new("set_config_upper_case_name", Outcome.Guard, $"select set_config('DAPPER_TENANTS.TENANT', 'globex', false) is null; {Read}") { Undefended = true, Kind = "set_config" },
        new("set_config_schema_qualified_and_quoted", Outcome.Guard, $"select \"pg_catalog\" . \"set_config\"('dapper_tenants.tenant', 'globex', true) is null; {Read}")
        {
            Undefended = true,
            Kind = "set_config",
        },
        new("set_config_unicode_escaped_function_name", Outcome.Guard, $"select U&\"set\\005fconfig\"('dapper_tenants.tenant', 'globex', true) is null; {Read}")
        {
            Undefended = true,
            Kind = "set_config",
        },
        new("set_config_comment_before_the_parenthesis", Outcome.Guard, $"select pg_catalog./**/set_config/* ( */('dapper_tenants.tenant', 'globex', true) is null; {Read}")
        {
            Undefended = true,
            Kind = "set_config",
        },
        new("set_config_inside_WHERE", Outcome.Guard, "select * from orders where set_config('dapper_tenants.tenant', 'globex', true) is not null")
        {
            Undefended = true,
            Kind = "set_config",
        },
        new("set_config_in_a_CTE", Outcome.Guard, "with x as (select set_config('dapper_tenants.tenant', 'globex', true)) select o.* from orders o, x")
        {
            Undefended = true,
            Kind = "set_config",
        },
        new("set_config_in_LATERAL", Outcome.Guard, "select o.* from orders o, lateral (select set_config('dapper_tenants.tenant', 'globex', true)) x")
        {
            Undefended = true,
            Kind = "set_config",
        },
        new("set_config_in_RETURNING", Outcome.Guard, $"update orders set note = note where id = 1 returning set_config('dapper_tenants.tenant', 'globex', true) is null; {Read}")
        {
            Undefended = true,
            Kind = "set_config",
        },
        new("set_config_with_computed_name", Outcome.Guard, $"select set_config(n, 'globex', false) is null from (select 'dapper_tenants' || '.tenant' as n) s; {Read}")
        {
            Undefended = true,
            Kind = "set_config",
        },
        new("set_config_escaped_string_name", Outcome.Guard, $"select set_config(E'dapper_tenants\\x2etenant', 'globex', false) is null; {Read}") { Undefended = true, Kind = "set_config" },
        new("set_config_unicode_string_name", Outcome.Guard, $"select set_config(U&'dapper\\005ftenants.tenant', 'globex', false) is null; {Read}") { Undefended = true, Kind = "set_config" },
        new("set_config_dollar_quoted_name", Outcome.Guard, $"select set_config($q$dapper_tenants.tenant$q$, 'globex', false) is null; {Read}") { Undefended = true, Kind = "set_config" },
        new("set_config_name_as_a_parameter", Outcome.Guard, $"select set_config(@n, 'globex', true) is null; {Read}")
        {
            Undefended = true,
            Kind = "set_config",
            Parameters = new { n = "Dapper_Tenants.Tenant" },
        },
        new("set_config_to_the_own_tenant", Outcome.Guard, $"select set_config('dapper_tenants.tenant', current_setting('dapper_tenants.tenant'), true); {Read}")
        {
            Kind = "set_config",
        },
        new("UPDATE_pg_settings", Outcome.Guard, $"update pg_settings set setting = 'globex' where name = 'dapper_tenants.tenant'; {Read}")
        {
            // pg_settings does not list custom placeholders, so this one changes nothing; the guard refuses it all the same.
            Kind = "UPDATE",
        },
        new("multi_statement_with_SET", Outcome.Guard, $"select 1; set dapper_tenants.tenant = 'globex'; {Read}") { Undefended = true, Kind = "SET" },
        new("SET_after_COMMIT", Outcome.Guard, $"commit; set dapper_tenants.tenant = 'globex'; {Read}") { Undefended = true, Kind = "SET" },
        new("SET_LOCAL_after_BEGIN", Outcome.Guard, $"begin; set local dapper_tenants.tenant = 'globex'; {Read}; commit") { Undefended = true, Kind = "SET LOCAL" },
        new("DO_block", Outcome.Guard, $"do $$ begin perform set_config('dapper_tenants.tenant', 'globex', false); end $$; {Read}") { Undefended = true, Kind = "DO" },
        new("DO_block_then_select", Outcome.Guard, $"do $$ begin execute 'set dapper_tenants.tenant = ''globex'''; end $$; {Read}") { Undefended = true, Kind = "DO" },
        new("RESET_setting", Outcome.Guard, $"reset dapper_tenants.tenant; {Read}") { Kind = "RESET" },
        new("RESET_ALL", Outcome.Guard, $"reset all; {Read}") { Kind = "RESET ALL" },
        new("DISCARD_ALL", Outcome.Guard, "discard all")
        {
            Kind = "DISCARD ALL",
            WithGuardOff = Outcome.Refused,
            SqlState = PostgresErrorCodes.ActiveSqlTransaction,
        },
        new("SET_ROLE", Outcome.Guard, "set role postgres") { Kind = "SET ROLE", WithGuardOff = Outcome.Refused, SqlState = Denied },
        new("SET_SESSION_AUTHORIZATION", Outcome.Guard, "set session authorization postgres") { Kind = "SET SESSION AUTHORIZATION", WithGuardOff = Outcome.Refused, SqlState = Denied },
        new("set_config_role", Outcome.Guard, "select set_config('role', 'postgres', false)") { Kind = "set_config", WithGuardOff = Outcome.Refused, SqlState = Denied },
        new("SET_ROLE_through_set_config_in_DO", Outcome.Guard, "do $$ begin perform set_config('role', 'postgres', false); end $$")
        {
            Kind = "DO",
            WithGuardOff = Outcome.Refused,
            SqlState = Denied,
        },
        new("DISABLE_RLS", Outcome.Guard, "alter table orders disable row level security") { Kind = "ALTER TABLE", WithGuardOff = Outcome.Refused, SqlState = Denied },
        new("NO_FORCE_RLS", Outcome.Guard, "alter table public.orders no force row level security") { Kind = "ALTER TABLE", WithGuardOff = Outcome.Refused, SqlState = Denied },
        new("DROP_POLICY", Outcome.Guard, "drop policy dapper_tenants_isolation on orders") { Kind = "DROP POLICY", WithGuardOff = Outcome.Refused, SqlState = Denied },
        new("ALTER_POLICY", Outcome.Guard, "alter policy dapper_tenants_isolation on orders using (true)") { Kind = "ALTER POLICY", WithGuardOff = Outcome.Refused, SqlState = Denied },
        new("CREATE_permissive_POLICY", Outcome.Guard, "create policy see_all on orders using (true)") { Kind = "CREATE POLICY", WithGuardOff = Outcome.Refused, SqlState = Denied },
        new("ALTER_ROLE_SET", Outcome.Guard, "alter role current_user set dapper_tenants.tenant = 'globex'")
        {
            // A role may set its own defaults, but PostgreSQL 15 refuses a custom setting to a login that is not a superuser.
            Kind = "ALTER ROLE",
            WithGuardOff = Outcome.Refused,
            SqlState = Denied,
            Says = "permission denied to set parameter \"dapper_tenants.tenant\"",
        },
        new("ALTER_DATABASE_SET", Outcome.Guard, "alter database <this database> set dapper_tenants.tenant = 'globex'")
        {
            Kind = "ALTER DATABASE",
            WithGuardOff = Outcome.Refused,
            SqlState = Denied,
            Says = "must be owner of database",
            Script = run => run.ReadAsync(run.Acme, $"alter database \"{run.Acme.Database}\" set dapper_tenants.tenant = 'globex'"),
        },
        new("function_SET_clause_of_the_setting", Outcome.Guard,
            "create function pg_temp.f() returns int language sql set dapper_tenants.tenant = 'globex' as 'select 1'")
        {
            // PostgreSQL refuses a function-level SET of a custom setting to a login that is not a superuser.
            Kind = "CREATE FUNCTION",
            WithGuardOff = Outcome.Refused,
            SqlState = Denied,
            Says = "permission denied to set parameter \"dapper_tenants.tenant\"",
        },
        new("PREPARE_set_config", Outcome.Guard, $"prepare p_attack as select set_config('dapper_tenants.tenant', 'globex', false) is null; execute p_attack; {Read}; deallocate p_attack")
        {
            Undefended = true,
            Kind = "set_config",
        },
        new("INSERT_foreign_tenant", Outcome.Guard, "insert into orders (id, tenant, total) values (90001, 'globex', 1)")
        {
            Kind = "INSERT",
            WithGuardOff = Outcome.Refused,
            SqlState = Denied,
            Says = "violates row-level security",
        },
        new("UPDATE_tenant_column", Outcome.Guard, "update orders set tenant = 'globex' where id = 1") { Kind = "UPDATE", WithGuardOff = Outcome.Refused, SqlState = Denied },
        new("COPY_FROM", Outcome.Guard, "copy orders from stdin") { Kind = "COPY FROM", WithGuardOff = Outcome.Refused, SqlState = PostgresErrorCodes.FeatureNotSupported },
        new("TRUNCATE", Outcome.Refused, "truncate orders") { SqlState = Denied },
        new("upsert_onto_a_foreign_key_value", Outcome.Refused, "insert into orders (id, total) values (101, 1) on conflict (id) do update set note = 'taken'")
        {
            SqlState = Denied,
        },
        new("COPY_TO", Outcome.NpgsqlRefused, "copy orders to stdout"),
    ];

    /// <summary>Reads that must show nothing of other tenants.</summary>
    public static IEnumerable<AttackCase> ReadCases =>
    [
        new("WHERE_on_foreign_tenant", Outcome.NoForeignRows, "select * from orders where tenant = 'globex'"),
        new("OR_true", Outcome.NoForeignRows, "select * from orders where true or tenant <> ''"),
        new("comment_hiding_SET", Outcome.NoForeignRows, "select * from orders /* ; set dapper_tenants.tenant = 'globex' */ -- ; reset all"),
        new("nested_comment_hiding_SET", Outcome.NoForeignRows, "select * from orders /* /* */ ; set dapper_tenants.tenant = 'globex'; select 1 */"),
        new("string_hiding_SET", Outcome.NoForeignRows, "select 'reset all; set role postgres; discard all' as s, id, tenant from orders"),
        new("escape_string_hiding_SET", Outcome.NoForeignRows, "select E'\\'; set dapper_tenants.tenant = ''globex''; --' is not null as s, id, tenant from orders"),
        new("PREPARE_EXECUTE", Outcome.NoForeignRows, "prepare p_read as select id, tenant, note from orders; execute p_read; deallocate p_read"),
        new("partition_queried_directly", Outcome.NoForeignRows, "select * from events_rest"),
        new("partitioned_parent", Outcome.NoForeignRows, "select * from events"),
        new("view_owned_by_the_table_owner", Outcome.NoForeignRows, "select * from orders_by_owner"),

        // The owner ran ANALYZE (set-up), so the statistics hold every tenant's values; pg_stats hides them while RLS applies.
        new("system_catalog_statistics", Outcome.NoForeignRows, "select most_common_vals::text from pg_stats where tablename = 'orders'"),
        new("current_setting_read", Outcome.NoForeignRows, "select current_setting('dapper_tenants.tenant') as tenant")
        {
            Before = Before.GlobexLeftItsSettingInTheSession,
            Control = "select current_setting('dapper_tenants.tenant', true)",
        },
    ];

    /// <summary>Where PostgreSQL itself applies no policy.</summary>
    public static IEnumerable<AttackCase> LimitCases =>
    [
        new("view_owned_by_a_superuser", Outcome.KnownLimit, "select * from orders_by_superuser"),
        new("materialized_view", Outcome.KnownLimit, "select * from orders_snapshot"),
        new("SECURITY_DEFINER_function", Outcome.KnownLimit, "select count_all_orders() as n") { Shows = ["10"] },
        new("writing_through_a_foreign_key", Outcome.KnownLimit, "insert into order_lines (id, order_id) values (1, 101)")
        {
            Evidence = "select o.tenant from order_lines l join orders o on o.id = l.order_id where l.id = 1",
            Cleanup = "delete from order_lines where id = 1",
        },
        new("large_object_of_another_tenant", Outcome.KnownLimit,
            "select convert_from(lo_get(m.oid), 'UTF8') from pg_largeobject_metadata m where m.lomowner = (select oid from pg_roles where rolname = current_user)"),
    ];
}
