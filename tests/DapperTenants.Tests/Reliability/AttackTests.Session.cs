namespace DapperTenants.Tests.Reliability;

/// <summary>
/// State a lease leaves in its server session for the next lease (issue #12, break 4): globex's lease runs a legitimate
/// statement that keeps its rows in the session (a WITH HOLD cursor, a temporary table), and acme's lease, on the same
/// server session, reads them. Where sessions outlive leases the guard refuses such statements; with Npgsql's reset
/// nothing survives; behind an undeclared transaction pooler nothing can tell.
/// </summary>
public partial class AttackTests
{
    private const string HoldCursor = "begin; declare held cursor with hold for select id, tenant, note from orders; commit";
    private const string FetchHeld = "fetch all from held";
    private const string TempTable = "create temp table stolen as select id, tenant, note from orders";
    private const string ReadTemp = "select * from stolen";

    /// <summary>The session-state attacks, on every way a server session can pass from one lease to the next.</summary>
    public static IEnumerable<AttackCase> SessionCases =>
    [
        .. Outlives("WITH_HOLD_cursor", HoldCursor, FetchHeld, "DECLARE WITH HOLD"),
        .. Outlives("temp_table", TempTable, ReadTemp, "CREATE TEMP TABLE"),
        Leftover("WITH_HOLD_cursor_after_a_reset", HoldCursor, FetchHeld, "34000"),
        Leftover("temp_table_after_a_reset", TempTable, ReadTemp, "42P01"),
        Undeclared("WITH_HOLD_cursor_behind_an_undeclared_PgBouncer", HoldCursor, FetchHeld),
        Undeclared("temp_table_behind_an_undeclared_PgBouncer", TempTable, ReadTemp),
        Scope("temp_table_ON_COMMIT_DROP_in_a_TransactionScope", "create temp table stolen on commit drop as select id, tenant, note from orders", ReadTemp, "CREATE TEMP TABLE"),
        Scope("cursor_in_a_TransactionScope", "declare c cursor for select id, tenant, note from orders; fetch 1 from c", "fetch all from c", "DECLARE"),
        Scope("temp_table_shadowing_orders_in_a_TransactionScope",
            "create temp table orders on commit drop as select 101 as id, 'globex'::text as tenant, 'planted by globex'::text as note", Read, "CREATE TEMP TABLE"),
        new("refcursor_of_a_function_in_a_TransactionScope", Outcome.KnownLimit, "fetch all from orders_cursor")
        {
            // A function installed by the schema owner opens a cursor and returns its name: the guard cannot know that a
            // call opens one, and the cursor lives until the scope's transaction ends.
            Before = Before.GlobexRanFirst,
            Pool = Pool.TransactionScope,
            Globex = "select open_orders(); fetch 1 from orders_cursor",
        },
        Session("LISTEN_left_for_the_next_lease", "listen globex_orders", "select pg_listening_channels()", "LISTEN"),
        Session("session_SET_left_for_the_next_lease", "set application_name = 'globex secret'", "select current_setting('application_name')", "SET"),
        Session("set_config_for_the_session_left_for_the_next_lease", "select set_config('application_name', 'globex secret', false)",
            "select current_setting('application_name')", "set_config"),
        new("session_advisory_lock_left_for_the_next_lease", Outcome.Guard, "select count(*) from pg_locks where locktype = 'advisory' and objid = 4242 and pid = pg_backend_pid()")
        {
            Before = Before.GlobexRanFirst,
            Pool = Pool.NoResetOnClose,
            Globex = "select pg_advisory_lock(4242)",
            Kind = "pg_advisory_lock",
            WithGuardOff = Outcome.OnlyTheGuardStops,
            Shows = ["1"],
            Cleanup = "select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and objid = 4242",
        },
        new("SQL_PREPARE_left_for_the_next_lease", Outcome.Guard, "execute globex_reads")
        {
            // A prepared statement holds no rows: it runs under whoever executes it.
            Before = Before.GlobexRanFirst,
            Pool = Pool.NoResetOnClose,
            Globex = "prepare globex_reads as select id, tenant, note from orders",
            Kind = "PREPARE",
            WithGuardOff = Outcome.NoForeignRows,
        },
    ];

    /// <summary>The same state on every pool whose sessions outlive leases: refused by the guard, only the guard.</summary>
    private static IEnumerable<AttackCase> Outlives(string name, string globex, string sql, string kind) =>
        new[] { Pool.NoResetOnClose, Pool.Multiplexing, Pool.PgBouncerDeclared, Pool.TransactionScope }.Select(pool => new AttackCase($"{name}_{pool}", Outcome.Guard, sql)
        {
            Before = Before.GlobexRanFirst,
            Pool = pool,
            Globex = globex,
            Kind = kind,
            WithGuardOff = Outcome.OnlyTheGuardStops,
        });

    /// <summary>With Npgsql's reset the state is gone before the next lease: the server answers that it does not exist.</summary>
    private static AttackCase Leftover(string name, string globex, string sql, string sqlState) => new(name, Outcome.Refused, sql)
    {
        Before = Before.GlobexRanFirst,
        Pool = Pool.ResetOnClose,
        Globex = globex,
        SqlState = sqlState,
    };

    /// <summary>Behind a transaction pooler nobody declared (TenantOptions.BehindTransactionPooler), nothing can tell: a documented limit.</summary>
    private static AttackCase Undeclared(string name, string globex, string sql) => new(name, Outcome.KnownLimit, sql)
    {
        Before = Before.GlobexRanFirst,
        Pool = Pool.PgBouncer,
        Globex = globex,
    };

    /// <summary>Two leases in one TransactionScope share the server transaction, so what lives until its end reaches the second lease.</summary>
    private static AttackCase Scope(string name, string globex, string sql, string kind) => new(name, Outcome.Guard, sql)
    {
        Before = Before.GlobexRanFirst,
        Pool = Pool.TransactionScope,
        Globex = globex,
        Kind = kind,
        WithGuardOff = Outcome.OnlyTheGuardStops,
    };

    private static AttackCase Session(string name, string globex, string sql, string kind) => new(name, Outcome.Guard, sql)
    {
        Before = Before.GlobexRanFirst,
        Pool = Pool.NoResetOnClose,
        Globex = globex,
        Kind = kind,
        WithGuardOff = Outcome.OnlyTheGuardStops,
    };
}
