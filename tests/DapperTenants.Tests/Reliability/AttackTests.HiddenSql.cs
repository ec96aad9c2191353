using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace DapperTenants.Tests.Reliability;

/// <summary>
/// SQL the guard cannot read as statements (issue #12, breaks 2, 3 and 5): PREPARE hiding the setting name behind
/// <c>$n</c>, built-ins that run a query text, code created in <c>pg_temp</c>, DO blocks with SQL built at run time,
/// and EXPLAIN ANALYZE as an oracle of the rows the policy hides.
/// </summary>
public partial class AttackTests
{
    private const string SetGlobex = "select set_config(''dapper_tenants.tenant'', ''globex'', true)";

    /// <summary>The hidden-SQL attacks; every one that switches tenants is also run without guard and signing as its control.</summary>
    public static IEnumerable<AttackCase> HiddenSqlCases =>
    [
        new("PREPARE_hiding_the_setting_name", Outcome.Guard, $"prepare p(text, text) as select set_config($1, $2, true) is null; execute p('dapper_tenants.tenant', 'globex'); {Read}; deallocate p")
        {
            Undefended = true,
            Kind = "set_config",
        },
        new("EXECUTE_of_a_statement_prepared_elsewhere", Outcome.Guard, "execute p_hidden('dapper_tenants.tenant', 'globex'); " + Read)
        {
            // Prepared through the escape hatch, where the guard does not look; the EXECUTE comes through the tenant connection.
            Undefended = true,
            Kind = "EXECUTE",
            Script = async run =>
            {
                await run.Acme.InnerConnection.ExecuteAsync("prepare p_hidden(text, text) as select set_config($1, $2, true) is null");
                try
                {
                    return await run.ReadAsync(run.Acme, $"execute p_hidden('dapper_tenants.tenant', 'globex'); {Read}");
                }
                finally
                {
                    await run.Acme.InnerConnection.ExecuteAsync("deallocate p_hidden");
                }
            },
        },
        new("query_to_xml", Outcome.Guard, $"select query_to_xml('{SetGlobex}', false, false, '') is null; {Read}") { Undefended = true, Kind = "set_config" },
        new("query_to_xmlschema", Outcome.Guard, $"select query_to_xmlschema('{SetGlobex}', false, false, '') is null; {Read}")
        {
            // It plans the query without running it: no switch, but the guard cannot know that either.
            Kind = "set_config",
        },
        new("query_to_xml_and_xmlschema", Outcome.Guard, $"select query_to_xml_and_xmlschema('{SetGlobex}', false, false, '') is null; {Read}") { Undefended = true, Kind = "set_config" },
        new("query_to_xml_of_a_concatenation", Outcome.Guard, $"select query_to_xml('select set_' || 'config(''dapper_tenants.tenant'', ''globex'', true)', false, false, '') is null; {Read}")
        {
            Undefended = true,
            Kind = "query_to_xml",
        },
        new("query_to_xml_of_a_parameter", Outcome.Guard, $"select query_to_xml(@q, false, false, '') is null; {Read}")
        {
            Undefended = true,
            Kind = "query_to_xml",
            Parameters = new { q = "select set_config('dapper_tenants.tenant', 'globex', true)" },
        },
        new("ts_stat", Outcome.Guard, $"select count(*) from ts_stat('select to_tsvector(set_config(''dapper_tenants.tenant'', ''globex'', true))'); {Read}")
        {
            Undefended = true,
            Kind = "set_config",
        },
        new("ts_rewrite", Outcome.Guard,
            $"select ts_rewrite('a'::tsquery, 'select ''a''::tsquery, to_tsquery(set_config(''dapper_tenants.tenant'', ''globex'', true))') is null; {Read}")
        {
            Undefended = true,
            Kind = "set_config",
        },
        new("cursor_to_xml_over_a_cursor_that_sets_it", Outcome.Guard,
            $"begin; declare c cursor for select set_config('dapper_tenants.tenant', 'globex', true); select cursor_to_xml('c', 1, false, false, '') is null; {Read}; commit")
        {
            Undefended = true,
            Kind = "set_config",
        },
        new("pg_temp_function_called_directly", Outcome.Guard,
            $"create function pg_temp.f() returns text language sql as $$ select set_config('dapper_tenants.tenant', 'globex', true) $$; select pg_temp.f() is null; {Read}")
        {
            Undefended = true,
            Kind = "CREATE FUNCTION",
        },
        new("pg_temp_function_with_dynamic_SQL", Outcome.Guard,
            "create function pg_temp.g() returns void language plpgsql as $$ begin execute 'select set_' || 'config(''dapper_tenants.tenant'', ''globex'', true)'; end $$; "
            + $"select pg_temp.g(); {Read}")
        {
            Undefended = true,
            Kind = "CREATE FUNCTION",
        },
        new("pg_temp_function_in_a_temp_tables_default", Outcome.Guard,
            "create function pg_temp.h() returns text language plpgsql as $$ begin execute 'select set_' || 'config(''dapper_tenants.tenant'', ''globex'', true)'; return 'x'; end $$; "
            + $"create temp table t (x text default pg_temp.h()) on commit drop; insert into t default values; {Read}")
        {
            Undefended = true,
            Kind = "CREATE FUNCTION",
        },
        new("set_config_in_a_temp_tables_default", Outcome.Guard,
            $"create temp table t (x text default set_config('dapper_tenants.tenant', 'globex', true)) on commit drop; insert into t default values; {Read}")
        {
            Undefended = true,
            Kind = "set_config",
        },
        new("set_config_in_a_check_constraint", Outcome.Guard,
            $"create temp table t (x int check (set_config('dapper_tenants.tenant', 'globex', true) is not null)) on commit drop; insert into t values (1); {Read}")
        {
            Undefended = true,
            Kind = "set_config",
        },
        new("set_config_in_a_temp_view", Outcome.Guard, $"create temp view v as select set_config('dapper_tenants.tenant', 'globex', true) as s; select count(*) from v; {Read}")
        {
            Undefended = true,
            Kind = "set_config",
        },
        new("aggregate_over_set_config", Outcome.Guard,
            "create aggregate pg_temp.sc(text, boolean) (sfunc = set_config, stype = text, initcond = 'dapper_tenants.tenant'); "
            + $"select pg_temp.sc('globex', true) is null; {Read}")
        {
            Undefended = true,
            Kind = "CREATE AGGREGATE",
        },
        new("DO_block_with_concatenated_SQL", Outcome.Guard, $"do $$ begin execute 'select set_' || 'config(''dapper_tenants.tenant'', ''globex'', true)'; end $$; {Read}")
        {
            Undefended = true,
            Kind = "DO",
        },
        new("DO_block_with_format", Outcome.Guard,
            $"do $$ begin execute format('select %s(%L, %L, true)', 'set_config', 'dapper_tenants.tenant', 'globex'); end $$; {Read}")
        {
            Undefended = true,
            Kind = "DO",
        },
        new("DO_block_with_chr", Outcome.Guard, $"do $$ begin perform set_config(chr(100) || 'apper_tenants.tenant', 'globex', true); end $$; {Read}")
        {
            Undefended = true,
            Kind = "DO",
        },
        Explain("EXPLAIN_ANALYZE", "explain analyze select * from orders"),
        Explain("EXPLAIN_ANALYSE_spelling", "EXPLAIN ANALYSE VERBOSE select * from orders"),
        Explain("EXPLAIN_option_list", "explain (costs off, analyze) select * from orders"),
        Explain("EXPLAIN_option_true", "explain (analyze true, timing false) select * from orders"),
        Explain("EXPLAIN_option_1", "explain (analyze 1, format json) select * from orders"),
        Explain("EXPLAIN_option_quoted_on", "explain (\"analyze\" 'on') select * from orders"),
        Explain("EXPLAIN_ANALYZE_in_query_to_xml", "select query_to_xml('explain analyze select * from orders', false, false, '')") with
        {
            // query_to_xml is STABLE: PostgreSQL refuses EXPLAIN inside it.
            WithGuardOff = Outcome.Refused,
            SqlState = PostgresErrorCodes.FeatureNotSupported,
            Says = "EXPLAIN is not allowed in a non-volatile function",
        },
    ];

    /// <summary>
    /// EXPLAIN ANALYZE of a sequential scan: "Rows Removed by Filter" counts the rows the policy hid (globex's 3 and
    /// initech's 2). The script returns that count.
    /// </summary>
    private static AttackCase Explain(string name, string sql) => new(name, Outcome.Guard, sql)
    {
        Kind = "EXPLAIN ANALYZE",
        WithGuardOff = Outcome.OnlyTheGuardStops,
        Shows = ["5"],
        Script = async run =>
        {
            var plan = string.Join('\n', await run.ReadAsync(run.Acme, sql)).Replace("\\n", "\n", StringComparison.Ordinal);
            var removed = RowsRemoved().Matches(plan).Select(m => m.Groups[1].Value).ToList();
            removed.ShouldNotBeEmpty(plan);
            return [removed.Sum(r => int.Parse(r, CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture)];
        },
    };

    [GeneratedRegex(@"Rows Removed by Filter""?:? (\d+)")]
    private static partial Regex RowsRemoved();
}
