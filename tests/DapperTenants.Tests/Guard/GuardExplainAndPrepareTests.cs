using DapperTenants.Tests.Support;
using static DapperTenants.Tests.Guard.GuardHarness;

namespace DapperTenants.Tests.Guard;

/// <summary>
/// EXPLAIN ANALYZE (an oracle on the rows the policy hides), prepared statements (whose placeholders are bound by a
/// later EXECUTE), and the settings that change how PostgreSQL reads SQL text.
/// </summary>
[Category(Categories.Unit)]
public sealed class GuardExplainAndPrepareTests
{
    private const string Analyze = "EXPLAIN ANALYZE";

    private static readonly object[] ExplainCases =
    [
        new object[] { "explain analyze select * from orders", Analyze },
        new object[] { "EXPLAIN ANALYSE VERBOSE select 1", Analyze },
        new object[] { "explain (analyze) select 1", Analyze },
        new object[] { "explain (analyze true, buffers) select 1", Analyze },
        new object[] { "explain (analyze 1) select 1", Analyze },
        new object[] { "explain (ANALYZE 'on') select 1", Analyze },
        new object[] { "explain (\"analyze\", costs off) select 1", Analyze },
        new object[] { "explain (costs off, analyse on, timing off) select 1", Analyze },
        new object[] { "explain (analyze false, analyze) select 1", Analyze },
        new object[] { "explain (analyze maybe) select 1", Analyze },
        new object[] { "select 1; explain analyze select 1", Analyze },
        new object[] { "explain (analyze false) select 1", "pass" },
        new object[] { "explain (analyze OFF) select 1", "pass" },
        new object[] { "explain (analyze 0) select 1", "pass" },
        new object[] { "explain (analyze 'false') select 1", "pass" },
        new object[] { "explain (analyze, analyze false) select 1", "pass" },
        new object[] { "explain select * from orders", "pass" },
        new object[] { "explain verbose select 1", "pass" },
        new object[] { "explain (costs off, verbose) select 1", "pass" },
        new object[] { "explain (\"ANALYZE\") select 1", "pass" },
        new object[] { "select 'explain analyze'", "pass" },
    ];

    [TestCaseSource(nameof(ExplainCases))]
    public void Explain_analyze_is_refused_in_every_form_and_plain_explain_passes(string sql, string expected) => Verdict(sql).ShouldBe(expected);

    [Test]
    public void With_AllowExplainAnalyze_what_it_runs_is_judged()
    {
        var guard = NewGuard(o => o.AllowExplainAnalyze = true);
        Verdict(guard, "explain analyze select * from orders", "acme", sessionOutlivesLease: true).ShouldBe("pass");
        Verdict(guard, "explain analyze create temp table t as select 1", "acme", sessionOutlivesLease: true).ShouldBe("CREATE TEMP TABLE");
        Verdict(guard, "explain analyze execute p", "acme", sessionOutlivesLease: false).ShouldBe("EXECUTE");
        Verdict(guard, "explain (analyze) select set_config('dapper_tenants.tenant', 'x', true)", "acme", false).ShouldBe("set_config");
    }

    private static readonly object[] PrepareCases =
    [
        new object[] { "prepare p(text, text) as select set_config($1, $2, true)", "set_config" },
        new object[] { "PREPARE p AS SELECT pg_catalog.set_config($1, 'x', true)", "set_config" },
        new object[] { "prepare p(text) as select set_config('application_name', $1, true)", "pass" },
        new object[] { "prepare p as insert into orders (id, tenant) values (1, 'globex')", "INSERT public.orders globex" },
        new object[] { "prepare p(int, text) as insert into orders (id, tenant) values ($1, $2)", "pass" },
        new object[] { "prepare p as select * from orders; execute p; deallocate p", "pass" },
        new object[] { "prepare p (int) as select $1; execute p(1); execute p(2)", "pass" },
        new object[] { "execute p", "EXECUTE" },
        new object[] { "execute _p1('dapper_tenants.tenant', 'globex')", "EXECUTE" },
        new object[] { "prepare p as select 1; deallocate p; execute p", "EXECUTE" },
        new object[] { "prepare p as select 1; deallocate prepare all; execute p", "EXECUTE" },
        new object[] { "prepare p as select 1; execute q", "EXECUTE" },
        new object[] { "create table t as execute p", "EXECUTE" },
        new object[] { "explain execute p", "pass" },
        new object[] { "deallocate all", "pass" },
    ];

    [TestCaseSource(nameof(PrepareCases))]
    public void Prepared_statements_are_read_with_their_own_parameters(string sql, string expected) => Verdict(sql).ShouldBe(expected);

    [Test]
    public void Placeholders_inside_PREPARE_are_not_the_commands_parameters()
    {
        // Npgsql rewrites @t into $1, which inside PREPARE is the prepared statement's own parameter: EXECUTE binds it.
        Verdict("prepare p(text) as insert into orders (id, tenant) values (1, @t)", "acme", ("t", "globex")).ShouldBe("pass");
        Verdict("prepare p(text) as select set_config(@name, 'x', true)", "acme", ("name", "application_name")).ShouldBe("set_config");
    }

    private static readonly object[] LexingCases =
    [
        new object[] { "set standard_conforming_strings = off", "SET" },
        new object[] { "set local standard_conforming_strings to off", "SET LOCAL" },
        new object[] { "SET SESSION Standard_Conforming_Strings TO on", "SET SESSION" },
        new object[] { "set names 'GBK'", "SET" },
        new object[] { "set client_encoding = 'SJIS'", "SET" },
        new object[] { "set backslash_quote = on", "SET" },
        new object[] { "select set_config('standard_conforming_strings', 'off', true)", "set_config" },
        new object[] { "update pg_settings set setting = 'off' where name = 'standard_conforming_strings'", "UPDATE pg_catalog.pg_settings" },
        new object[] { "alter role current_user set standard_conforming_strings = off", "ALTER ROLE" },
        new object[] { "alter database app set client_encoding = 'GBK'", "ALTER DATABASE" },
        new object[] { "reset standard_conforming_strings", "pass" },
        new object[] { "select current_setting('standard_conforming_strings')", "pass" },
    ];

    [TestCaseSource(nameof(LexingCases))]
    public void Settings_that_change_how_SQL_is_read_cannot_be_changed(string sql, string expected) => Verdict(sql).ShouldBe(expected);

    [Test]
    public void The_setting_name_given_as_parameter_is_checked_for_lexing_settings_too() =>
        Verdict("select set_config(@n, 'off', true)", "acme", ("n", "Standard_Conforming_Strings")).ShouldBe("set_config");

    private static readonly object[] Messages =
    [
        new object[]
        {
            "explain (analyze, costs off) select * from orders where email = 'a@b.c'",
            "EXPLAIN ANALYZE was refused: it runs the statement and reports row counts, such as Rows Removed by Filter, that include the rows "
            + "the tenant policy hides, so they reveal other tenants' data. Use plain EXPLAIN, which does not run the statement, or analyze "
            + "on an owner connection. To allow it on tenant connections, set TenantOptions.AllowExplainAnalyze.",
        },
        new object[]
        {
            "execute _p1('dapper_tenants.tenant', 'globex')",
            "EXECUTE _p1 was refused: it runs a statement prepared outside this command (Npgsql's own prepared statements included), with "
            + "arguments the guard cannot check against it. Send the statement itself with parameters; Npgsql prepares it for you "
            + "(NpgsqlCommand.Prepare() or Max Auto Prepare).",
        },
        new object[]
        {
            "prepare p(text, text) as select set_config($1, $2, true)",
            "set_config with a setting name that is not a constant was refused: the guard cannot tell whether it changes the tenant setting "
            + "dapper_tenants.tenant. Write the setting name as a string literal or pass it as a parameter, such as set_config('application_name', ...).",
        },
        new object[]
        {
            "set standard_conforming_strings = off",
            "SET standard_conforming_strings was refused: the guard reads SQL the way PostgreSQL does with standard_conforming_strings at its "
            + "default, and changing it would let later statements hide SQL inside what the guard reads as a string constant. Leave it at its "
            + "default on tenant connections.",
        },
        new object[]
        {
            "alter role current_user set search_path = evil, public",
            "ALTER ROLE ... SET search_path was refused: it changes the default of the setting search_path for later sessions, behind every "
            + "tenant connection's back. Configure roles and databases as their owner, outside tenant connections.",
        },
    ];

    [TestCaseSource(nameof(Messages))]
    public void Refusals_name_the_statement_the_reason_and_the_fix(string sql, string expected) => Message(sql).ShouldBe(expected);
}
