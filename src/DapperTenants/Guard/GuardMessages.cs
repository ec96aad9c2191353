using DapperTenants.Catalog;

namespace DapperTenants.Guard;

/// <summary>The guard's exceptions: what was refused, on which table, which tenants, and the fix.</summary>
internal static class GuardMessages
{
    /// <summary>Stands for the connection's tenant in a refusal's message until the refusal is raised.</summary>
    public const string TenantPlaceholder = "{tenant}";

    private const int MaxShownLength = 200;

    private const string ManagePolicies = "Manage Row-Level Security with PolicyInstaller on an owner connection, not on a tenant connection.";

    private const string KeepRole = "a tenant connection must keep the login it was opened with, because another role may bypass or change "
        + "the Row-Level Security policies that isolate tenants. Connect the data source as the role you need instead.";

    public static TenantGuardException WrongTenant(WriteKind kind, ProtectedTable table, string found, string tenant)
    {
        var name = table.Schema + "." + table.Table;
        var shown = Shorten(found);
        var (statementKind, message) = kind switch
        {
            WriteKind.Insert => ("INSERT",
                $"INSERT into {name} writes tenant '{shown}', but this connection belongs to tenant '{tenant}'. "
                + $"Open a connection for '{shown}' (tenants.Open(\"{shown}\")) or remove the tenant column so its default stamps '{tenant}'."),
            WriteKind.MergeInsert => ("MERGE INSERT",
                $"MERGE into {name} inserts tenant '{shown}', but this connection belongs to tenant '{tenant}'. "
                + $"Open a connection for '{shown}' (tenants.Open(\"{shown}\")) or remove the tenant column from the INSERT so its default stamps '{tenant}'."),
            WriteKind.Update => ("UPDATE",
                $"UPDATE of {name} sets tenant '{shown}', but this connection belongs to tenant '{tenant}'. "
                + "A row cannot move to another tenant: remove the tenant column from the SET list."),
            WriteKind.Upsert => ("INSERT ON CONFLICT DO UPDATE",
                $"INSERT ... ON CONFLICT DO UPDATE on {name} sets tenant '{shown}', but this connection belongs to tenant '{tenant}'. "
                + "A row cannot move to another tenant: remove the tenant column from the DO UPDATE SET list."),
            _ => ("MERGE UPDATE",
                $"MERGE into {name} updates tenant to '{shown}', but this connection belongs to tenant '{tenant}'. "
                + "A row cannot move to another tenant: remove the tenant column from the UPDATE SET list."),
        };
        return new TenantGuardException(message, statementKind, name, found, tenant);
    }

    public static RefusalCheck ChangesSetting(string statementKind, string shownAs, string setting) => new(statementKind, null,
        $"{shownAs} was refused: the connection carries its tenant '{TenantPlaceholder}' in the setting {setting}, and changing it would "
        + "switch tenants behind the connection's back. To work as another tenant, open a connection for it with tenants.Open(...).");

    public static RefusalCheck ResetAll(string statementKind, string setting, string fix) => new(statementKind, null,
        $"{statementKind} was refused: it would also clear the tenant setting {setting}, which carries this connection's tenant "
        + $"'{TenantPlaceholder}'. {fix}");

    public static RefusalCheck NonConstantSettingName(string setting) => new("set_config", null,
        "set_config with a setting name that is not a constant was refused: the guard cannot tell whether it changes the tenant setting "
        + $"{setting}. Write the setting name as a string literal or pass it as a parameter, such as set_config('application_name', ...).");

    private const string AllowDynamicSql =
        "To allow it on tenant connections, set TenantOptions.AllowDynamicSql, which weakens isolation (see its documentation).";

    public static RefusalCheck DoBlock(string setting) => new("DO", null,
        "DO block was refused: the guard cannot see what PL/pgSQL runs (EXECUTE of a string built at run time, set_config through a "
        + $"variable), so the block could change the tenant setting {setting} or the role behind the connection's back. Run its statements "
        + "as plain SQL, or call a function installed by the schema owner. " + AllowDynamicSql);

    public static RefusalCheck DoBlockMentions(string suspect, string setting) => new("DO", null,
        $"DO block was refused: its body mentions '{Shorten(suspect)}', and the guard cannot follow PL/pgSQL, so it could change the tenant "
        + $"setting {setting}, the role or row-level security behind the connection's back. Move the logic into SQL statements the "
        + "guard can check, or into a function installed by the schema owner.");

    public static RefusalCheck BodyMentions(string statementKind, string suspect, string setting) => new(statementKind, null,
        $"{statementKind} was refused: its body mentions '{Shorten(suspect)}', and the guard cannot follow the routine's code, so it could "
        + $"change the tenant setting {setting}, the role or row-level security whenever it runs. Install routines as the schema owner, "
        + "outside tenant connections.");

    public static RefusalCheck CreatesCode(string statementKind, string setting)
    {
        var reason = statementKind switch
        {
            "CREATE FUNCTION" or "CREATE PROCEDURE" =>
                $"its body is code the guard cannot read, and it could change the tenant setting {setting} whenever it runs",
            "CREATE TRIGGER" or "CREATE EVENT TRIGGER" or "CREATE RULE" =>
                "it plants code that runs inside later statements, other tenants' included, under their tenant, and can copy their rows "
                + "where this tenant reads them",
            "CREATE AGGREGATE" or "CREATE OPERATOR" or "CREATE CAST" =>
                "it makes syntax the guard does not read as a call run a function (an aggregate over set_config, an operator over ts_stat)",
            "CREATE EXTENSION" or "CREATE LANGUAGE" or "CREATE TRANSFORM" or "ALTER EXTENSION" =>
                "it installs code, which may run SQL from strings the guard cannot see (such as tablefunc's crosstab)",
            "CREATE SERVER" or "ALTER SERVER" =>
                "it sets up connections whose sessions run SQL, with settings of their own, that the guard cannot see",
            _ => "it changes how existing code runs (its settings, owner or security), which the guard cannot follow",
        };
        return new(statementKind, null,
            $"{statementKind} was refused: {reason}. A tenant connection may not create or change code: do it as the schema owner, "
            + "outside tenant connections. " + AllowDynamicSql);
    }

    public static RefusalCheck RunsQueryText(string function, string setting) => new(function, null,
        $"{function} with a query that is not a string constant was refused: {function} runs the SQL text it is given, which the guard "
        + $"cannot see, so it could change the tenant setting {setting} behind the connection's back. Write the query as a string literal "
        + "(the guard then checks it like any statement), or run the query itself. " + AllowDynamicSql);

    public static RefusalCheck RunsHiddenSql(string function, string what, string setting) => new(function, null,
        $"{function} was refused: it runs {what}, which the guard cannot see, so it could change the tenant setting {setting} or read "
        + "other tenants' rows behind the connection's back. Run the SQL as statements the guard can check. " + AllowDynamicSql);

    public static RefusalCheck NestedTooDeep(string function, int levels) => new(function, null,
        $"{function} was refused: its query sits more than {levels} levels deep in string constants, deeper than the guard reads. "
        + "Run the query itself. " + AllowDynamicSql);

    public static readonly RefusalCheck ExplainAnalyze = new("EXPLAIN ANALYZE", null,
        "EXPLAIN ANALYZE was refused: it runs the statement and reports row counts, such as Rows Removed by Filter, that include the rows "
        + "the tenant policy hides, so they reveal other tenants' data. Use plain EXPLAIN, which does not run the statement, or analyze "
        + "on an owner connection. To allow it on tenant connections, set TenantOptions.AllowExplainAnalyze.");

    public static RefusalCheck ExecuteUnknown(string name) => new("EXECUTE", null,
        $"EXECUTE {Shorten(name)} was refused: it runs a statement prepared outside this command (Npgsql's own prepared statements "
        + "included), with arguments the guard cannot check against it. Send the statement itself with parameters; Npgsql prepares it "
        + "for you (NpgsqlCommand.Prepare() or Max Auto Prepare).");

    public static RefusalCheck ChangesLexing(string statementKind, string shownAs, string name) => new(statementKind, null,
        $"{shownAs} was refused: the guard reads SQL the way PostgreSQL does with {name} at its default, and changing it would let later "
        + "statements hide SQL inside what the guard reads as a string constant. Leave it at its default on tenant connections.");

    private const string SessionOutlives = "this connection's server session can pass to another lease without being reset (No Reset On "
        + "Close, Multiplexing, TenantOptions.BehindTransactionPooler or a TransactionScope), so a later tenant could find it";

    public static readonly RefusalCheck DeclareWithHold = SessionState("DECLARE WITH HOLD", "a cursor that outlives the transaction",
        "Declare the cursor without WITH HOLD inside a transaction, or read the rows into the application.");

    public static readonly RefusalCheck CreateTempTable = SessionState("CREATE TEMP TABLE", "a temporary table",
        "Create it with ON COMMIT DROP inside a transaction, or use a regular table with a tenant column.");

    public static readonly RefusalCheck CreateTempObject = SessionState("CREATE TEMP", "a temporary object (in pg_temp)",
        "Use a subquery or a CTE, or a regular object created by the schema owner.");

    public static readonly RefusalCheck SelectIntoTemp = SessionState("SELECT INTO", "a temporary table",
        "Use CREATE TEMP TABLE ... ON COMMIT DROP AS ... inside a transaction.");

    public static readonly RefusalCheck Listen = SessionState("LISTEN", "a subscription to notifications",
        "Listen on a dedicated NpgsqlConnection that does not serve tenants.");

    public static readonly RefusalCheck Prepare = SessionState("PREPARE", "a prepared statement",
        "Send the statement itself with parameters; Npgsql prepares it for you (NpgsqlCommand.Prepare() or Max Auto Prepare).");

    public static readonly RefusalCheck SetSession = SessionState("SET", "a setting changed for the session",
        "Use SET LOCAL inside a transaction, or set_config(name, value, true).");

    public static readonly RefusalCheck SetConfigSession = SessionState("set_config", "a setting changed for the session (is_local is not true)",
        "Pass true as is_local, set_config(name, value, true), inside a transaction.");

    public static readonly RefusalCheck SessionLock = SessionState("pg_advisory_lock", "an advisory lock held by the session",
        "Use pg_advisory_xact_lock or pg_try_advisory_xact_lock, which end with the transaction.");

    public static readonly RefusalCheck Load = SessionState("LOAD", "a loaded library",
        "Load libraries through the server's session_preload_libraries instead.");

    private const string TransactionOutlives = "this connection is enlisted in a TransactionScope, whose server transaction Npgsql hands to "
        + "the next connection opened in the same scope, so a later lease, for another tenant too, could find it before the scope ends";

    public static readonly RefusalCheck DeclareInScope = TransactionState("DECLARE", "a cursor",
        "Read the rows into the application, or use a TenantTransaction (BeginTransaction) outside the TransactionScope.");

    public static readonly RefusalCheck CreateTempTableInScope = TransactionState("CREATE TEMP TABLE", "a temporary table (ON COMMIT DROP drops it only when the scope's transaction ends)",
        "Use a regular table with a tenant column, or a TenantTransaction (BeginTransaction) outside the TransactionScope.");

    private static RefusalCheck TransactionState(string statementKind, string what, string fix) => new(statementKind, null,
        $"{statementKind} was refused: it leaves {what} in the server transaction, and {TransactionOutlives}. {fix}");

    private static RefusalCheck SessionState(string statementKind, string what, string fix) => new(statementKind, null,
        $"{statementKind} was refused: it leaves {what} in the server session, and {SessionOutlives}. {fix}");

    public static RefusalCheck ChangesDefault(string statementKind, string name, string setting) => new(statementKind, null,
        $"{statementKind} ... SET {name} was refused: it changes the default of "
        + (name == setting ? $"the tenant setting {setting}" : name is "role" or "session_authorization" ? "the role" : $"the setting {name}")
        + " for later sessions, behind every tenant connection's back. "
        + "Configure roles and databases as their owner, outside tenant connections.");

    public static RefusalCheck ChangesRole(string statementKind, string shownAs) => new(statementKind, null, $"{shownAs} was refused: {KeepRole}");

    public static RefusalCheck AltersTable(ProtectedTable table, string action, string reason)
    {
        var name = table.Schema + "." + table.Table;
        return new("ALTER TABLE", name, $"ALTER TABLE {name} {action} was refused: {reason}. {ManagePolicies}");
    }

    public static RefusalCheck ChangesPolicy(string statementKind, ProtectedTable table, string reason)
    {
        var name = table.Schema + "." + table.Table;
        return new(statementKind, name, $"{statementKind} on {name} was refused: {reason}. {ManagePolicies}");
    }

    public static RefusalCheck CopyFrom(ProtectedTable table)
    {
        var name = table.Schema + "." + table.Table;
        return new("COPY FROM", name,
            $"COPY {name} FROM was refused: the guard cannot check the tenant of copied rows, and PostgreSQL does not support COPY FROM "
            + "into a table with row-level security. Insert the rows with INSERT statements instead.");
    }

    public static RefusalCheck UpdatesSettings(string setting) => new("UPDATE", "pg_catalog.pg_settings",
        $"UPDATE of pg_settings was refused: it can change the tenant setting {setting}, which carries this connection's tenant "
        + $"'{TenantPlaceholder}'. Change other settings with SET or set_config('name', ...).");

    private static string Shorten(string value) => value.Length <= MaxShownLength ? value : value[..MaxShownLength] + "...";
}
