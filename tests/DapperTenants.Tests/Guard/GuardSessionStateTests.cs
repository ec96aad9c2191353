using DapperTenants.Tests.Support;
using static DapperTenants.Tests.Guard.GuardHarness;

namespace DapperTenants.Tests.Guard;

/// <summary>
/// Statements that leave state in the server session: refused only when the session can pass to another lease without
/// being reset, a fact of the connection that the cached plan reads at each execution.
/// </summary>
[Category(Categories.Unit)]
public sealed class GuardSessionStateTests
{
    private static readonly object[] Cases =
    [
        new object[] { "declare c cursor with hold for select * from orders", "DECLARE WITH HOLD" },
        new object[] { "DECLARE c BINARY INSENSITIVE NO SCROLL CURSOR WITH HOLD FOR SELECT 1", "DECLARE WITH HOLD" },
        new object[] { "declare c cursor without hold for select * from orders", "pass" },
        new object[] { "declare c cursor for select 'with hold' from orders", "pass" },
        new object[] { "create temp table t as select * from orders", "CREATE TEMP TABLE" },
        new object[] { "create temporary table t (id int)", "CREATE TEMP TABLE" },
        new object[] { "create global temporary table t (id int) on commit preserve rows", "CREATE TEMP TABLE" },
        new object[] { "create temp table t (id int) on commit delete rows", "CREATE TEMP TABLE" },
        new object[] { "create table pg_temp.t (id int)", "CREATE TEMP TABLE" },
        new object[] { "create table if not exists pg_temp_3.t as select 1", "CREATE TEMP TABLE" },
        new object[] { "create temp table t (id int) on commit drop", "pass" },
        new object[] { "create temp table t on commit drop as select * from orders", "pass" },
        new object[] { "create table report (id int)", "pass" },
        new object[] { "create temp view v as select * from orders", "CREATE TEMP" },
        new object[] { "create or replace temporary recursive view v (n) as select 1", "CREATE TEMP" },
        new object[] { "create view v as select * from pg_temp.t", "CREATE TEMP" },
        new object[] { "create temp sequence s", "CREATE TEMP" },
        new object[] { "create index on pg_temp.t (id)", "CREATE TEMP" },
        new object[] { "create view v as select * from orders", "pass" },
        new object[] { "select * into temp t from orders", "SELECT INTO" },
        new object[] { "select id, tenant into temporary table t from orders where id > 1", "SELECT INTO" },
        new object[] { "with x as (select 1) select * into pg_temp.t from x", "SELECT INTO" },
        new object[] { "select * into report from orders", "pass" },
        new object[] { "insert into report select * from orders", "pass" },
        new object[] { "listen jobs", "LISTEN" },
        new object[] { "unlisten *", "pass" },
        new object[] { "load 'auto_explain'", "LOAD" },
        new object[] { "prepare p as select * from orders", "PREPARE" },
        new object[] { "prepare transaction 'x'", "pass" },
        new object[] { "set statement_timeout = 1000", "SET" },
        new object[] { "set session search_path to evil, public", "SET" },
        new object[] { "set time zone 'UTC'", "SET" },
        new object[] { "set session characteristics as transaction read only", "SET" },
        new object[] { "set schema 'evil'", "SET" },
        new object[] { "set local statement_timeout = 1000", "pass" },
        new object[] { "set transaction isolation level serializable", "pass" },
        new object[] { "set constraints all deferred", "pass" },
        new object[] { "reset statement_timeout", "pass" },
        new object[] { "select set_config('application_name', 'x', false)", "set_config" },
        new object[] { "select set_config('application_name', 'x', is_local => false)", "set_config" },
        new object[] { "select set_config('application_name', 'x', flag) from t", "set_config" },
        new object[] { "select set_config('application_name', 'x', true)", "pass" },
        new object[] { "select set_config('application_name', 'x', 'yes'::boolean)", "pass" },
        new object[] { "select set_config('application_name', 'x', ' T ')", "pass" },
        new object[] { "select set_config(setting_name => 'application_name', new_value => 'x', is_local => true)", "pass" },
        new object[] { "select pg_advisory_lock(1)", "pg_advisory_lock" },
        new object[] { "select pg_catalog.pg_try_advisory_lock_shared(1, 2)", "pg_advisory_lock" },
        new object[] { "select (42::bigint).pg_advisory_lock", "pg_advisory_lock" },
        new object[] { "select $1.pg_try_advisory_lock", "pg_advisory_lock" },
        new object[] { "select pg_advisory_xact_lock(1), pg_try_advisory_xact_lock(2)", "pass" },
        new object[] { "select pg_advisory_unlock(1)", "pass" },
        new object[] { "explain create temp table t as select 1", "pass" },
        new object[] { "select query_to_xml('select pg_advisory_lock(1)', false, false, '')", "pg_advisory_lock" },
    ];

    [TestCaseSource(nameof(Cases))]
    public void Session_state_is_refused_when_the_session_outlives_the_lease(string sql, string expected)
    {
        Verdict(NewGuard(), sql, "acme", sessionOutlivesLease: true).ShouldBe(expected);
        Verdict(NewGuard(), sql, "acme", sessionOutlivesLease: false).ShouldBe("pass");
    }

    [Test]
    public void One_cached_plan_serves_both_kinds_of_session()
    {
        var guard = NewGuard();
        Verdict(guard, "create temp table t (id int)", "acme", sessionOutlivesLease: false).ShouldBe("pass");
        Verdict(guard, "create temp table t (id int)", "acme", sessionOutlivesLease: true).ShouldBe("CREATE TEMP TABLE");
        Verdict(guard, "create temp table t (id int)", "acme", sessionOutlivesLease: false).ShouldBe("pass");
    }

    [Test]
    public void A_parameter_for_is_local_is_read_at_each_execution()
    {
        const string Sql = "select set_config('application_name', 'x', @local)";
        var guard = NewGuard();
        Verdict(guard, Sql, "acme", true, ("local", true)).ShouldBe("pass");
        Verdict(guard, Sql, "acme", true, ("local", false)).ShouldBe("set_config");
        Verdict(guard, Sql, "acme", true, ("local", "true")).ShouldBe("set_config");
        Verdict(guard, Sql, "acme", false, ("local", false)).ShouldBe("pass");

        // Without the parameter Npgsql sends @local as written, and PostgreSQL rejects the call.
        Verdict(guard, Sql, "acme", true).ShouldBe("pass");
    }

    [Test]
    public void Refusals_elsewhere_in_the_text_do_not_depend_on_the_session()
    {
        Verdict(NewGuard(), "create temp table t (id int); set role admin", "acme", sessionOutlivesLease: false).ShouldBe("SET ROLE");
        Verdict(NewGuard(), "create temp table t (id int); set role admin", "acme", sessionOutlivesLease: true).ShouldBe("CREATE TEMP TABLE");
    }

    private const string Outlives = "this connection's server session can pass to another lease without being reset (No Reset On Close, "
        + "Multiplexing, TenantOptions.BehindTransactionPooler or a TransactionScope), so a later tenant could find it.";

    private static readonly object[] Messages =
    [
        new object[]
        {
            "declare c cursor with hold for select * from orders",
            $"DECLARE WITH HOLD was refused: it leaves a cursor that outlives the transaction in the server session, and {Outlives} "
            + "Declare the cursor without WITH HOLD inside a transaction, or read the rows into the application.",
        },
        new object[]
        {
            "create temp table t as select * from orders",
            $"CREATE TEMP TABLE was refused: it leaves a temporary table in the server session, and {Outlives} "
            + "Create it with ON COMMIT DROP inside a transaction, or use a regular table with a tenant column.",
        },
        new object[]
        {
            "create temp view v as select 1",
            $"CREATE TEMP was refused: it leaves a temporary object (in pg_temp) in the server session, and {Outlives} "
            + "Use a subquery or a CTE, or a regular object created by the schema owner.",
        },
        new object[]
        {
            "select * into temp t from orders",
            $"SELECT INTO was refused: it leaves a temporary table in the server session, and {Outlives} "
            + "Use CREATE TEMP TABLE ... ON COMMIT DROP AS ... inside a transaction.",
        },
        new object[]
        {
            "listen jobs",
            $"LISTEN was refused: it leaves a subscription to notifications in the server session, and {Outlives} "
            + "Listen on a dedicated NpgsqlConnection that does not serve tenants.",
        },
        new object[]
        {
            "prepare p as select 1",
            $"PREPARE was refused: it leaves a prepared statement in the server session, and {Outlives} "
            + "Send the statement itself with parameters; Npgsql prepares it for you (NpgsqlCommand.Prepare() or Max Auto Prepare).",
        },
        new object[]
        {
            "set search_path = evil, public",
            $"SET was refused: it leaves a setting changed for the session in the server session, and {Outlives} "
            + "Use SET LOCAL inside a transaction, or set_config(name, value, true).",
        },
        new object[]
        {
            "select set_config('search_path', 'evil', false)",
            $"set_config was refused: it leaves a setting changed for the session (is_local is not true) in the server session, and {Outlives} "
            + "Pass true as is_local, set_config(name, value, true), inside a transaction.",
        },
        new object[]
        {
            "select pg_advisory_lock(42)",
            $"pg_advisory_lock was refused: it leaves an advisory lock held by the session in the server session, and {Outlives} "
            + "Use pg_advisory_xact_lock or pg_try_advisory_xact_lock, which end with the transaction.",
        },
        new object[]
        {
            "load 'auto_explain'",
            $"LOAD was refused: it leaves a loaded library in the server session, and {Outlives} "
            + "Load libraries through the server's session_preload_libraries instead.",
        },
    ];

    [TestCaseSource(nameof(Messages))]
    public void Refusals_name_the_statement_the_reason_and_the_fix(string sql, string expected) =>
        Message(NewGuard(), sql, sessionOutlivesLease: true).ShouldBe(expected);
}
