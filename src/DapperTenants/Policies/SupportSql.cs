using System.Security.Cryptography;
using System.Text;
using DapperTenants.Catalog;
using static DapperTenants.Catalog.SupportNames;

namespace DapperTenants.Policies;

/// <summary>
/// The DDL of support access: the append-only access log, the <c>SECURITY DEFINER</c> functions that write it and read
/// the current session's logged scope, and the policies that admit the support role to that scope only.
/// </summary>
/// <remarks>
/// A session's scope is the latest log row written on its backend, and only while the session holds that row's secret
/// token (the log keeps its SHA-256), the row's login is the session's, and the transaction that wrote the row has
/// committed: a log row rolled back with the reads it allowed cannot exist, and a later lease of the same backend
/// (reset by the pool, so without the token) sees nothing until it writes a row of its own.
/// </remarks>
internal static class SupportSql
{
    private const string Tag = "$dapper_tenants$";

    public static string CreateTable(bool ifNotExists) => $"""
        CREATE TABLE {(ifNotExists ? "IF NOT EXISTS " : "")}{QualifiedTable} (
            id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            actor pg_catalog.text NOT NULL CHECK (pg_catalog.char_length(actor) BETWEEN 1 AND 256),
            reason pg_catalog.text NOT NULL CHECK (pg_catalog.char_length(reason) BETWEEN 1 AND 4096),
            all_tenants pg_catalog.bool NOT NULL,
            tenants pg_catalog.text[] NOT NULL,
            allow_writes pg_catalog.bool NOT NULL,
            started_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
            login pg_catalog.text NOT NULL,
            backend_pid pg_catalog.int4 NOT NULL,
            client_addr pg_catalog.inet,
            application_name pg_catalog.text,
            xact pg_catalog.xid8 NOT NULL,
            token_hash pg_catalog.bytea NOT NULL,
            CHECK (all_tenants OPERATOR(pg_catalog.=) (pg_catalog.cardinality(tenants) OPERATOR(pg_catalog.=) 0))
        );
        """;

    /// <summary>The write log: one row per logged statement of a write-allowed session, with the transaction it authorizes.</summary>
    public static string CreateWritesTable(bool ifNotExists) => $"""
        CREATE TABLE {(ifNotExists ? "IF NOT EXISTS " : "")}{QualifiedWritesTable} (
            id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            session_id pg_catalog.int8 NOT NULL REFERENCES {QualifiedTable} (id) ON DELETE CASCADE,
            at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
            xact pg_catalog.xid8 NOT NULL,
            statement pg_catalog.text NOT NULL
        );
        """;

    public static string CreateWritesIndex() =>
        $"CREATE INDEX IF NOT EXISTS \"access_log_writes_session\" ON {QualifiedWritesTable} (session_id, xact);";

    /// <summary>Takes every privilege on the write log from everyone but its owner: the support role writes it only through the function.</summary>
    public static string RevokeWritesTableFromEveryone() => RegistrySql.RevokeFromEveryone(
        $"pg_catalog.to_regclass({Identifiers.Literal(QualifiedWritesTable)})", "pg_class", "relacl", "relowner", 'r', "ALL", "TABLE " + QualifiedWritesTable);

    public static string RevokeWritesTable(string grantee) => $"REVOKE ALL ON TABLE {QualifiedWritesTable} FROM {Grantee(grantee)};";

    public static string CreateIndex() =>
        $"CREATE INDEX IF NOT EXISTS \"access_log_backend\" ON {QualifiedTable} (backend_pid, id);";

    /// <summary>Takes every privilege on the log from everyone but its owner: the support role writes it only through the function.</summary>
    public static string RevokeTableFromEveryone() => RegistrySql.RevokeFromEveryone(
        $"pg_catalog.to_regclass({Identifiers.Literal(QualifiedTable)})", "pg_class", "relacl", "relowner", 'r', "ALL", "TABLE " + QualifiedTable);

    public static string RevokeTable(string grantee) => $"REVOKE ALL ON TABLE {QualifiedTable} FROM {Grantee(grantee)};";

    /// <summary>The body of the function that writes a log row; the support role is part of it (the membership check).</summary>
    public static string BeginBody(string role) => $"""

        DECLARE
            result pg_catalog.int8;
        BEGIN
            IF NOT pg_catalog.pg_has_role(SESSION_USER, {Identifiers.Literal(role)}, 'MEMBER') THEN
                RAISE EXCEPTION 'The login % is not a member of the support role %, so it cannot open a support session.', SESSION_USER, {Identifiers.Literal(role)}
                    USING ERRCODE = '42501';
            END IF;
            IF p_token IS NULL OR pg_catalog.octet_length(p_token) OPERATOR(pg_catalog.<) 32 OR p_all_tenants IS NULL OR p_allow_writes IS NULL
               OR p_all_tenants OPERATOR(pg_catalog.<>) (pg_catalog.cardinality(COALESCE(p_tenants, '{"{}"}')) OPERATOR(pg_catalog.=) 0)
               OR pg_catalog.array_position(p_tenants, NULL) IS NOT NULL THEN
                RAISE EXCEPTION 'A support session needs a token of at least 32 bytes, and either all tenants or a non-empty list of tenants without NULL.'
                    USING ERRCODE = '22023';
            END IF;
            INSERT INTO {QualifiedTable} (actor, reason, all_tenants, tenants, allow_writes, login, backend_pid, client_addr, application_name, xact, token_hash)
            VALUES (p_actor, p_reason, p_all_tenants, COALESCE(p_tenants, '{"{}"}'), p_allow_writes, SESSION_USER, pg_catalog.pg_backend_pid(),
                    pg_catalog.inet_client_addr(), pg_catalog.current_setting('application_name', true), pg_catalog.pg_current_xact_id(),
                    pg_catalog.sha256(pg_catalog.convert_to(p_token, 'UTF8')))
            RETURNING id INTO result;
            PERFORM pg_catalog.set_config('{TokenSetting}', p_token, false);
            RETURN result;
        END

        """;

    /// <summary>
    /// The body of the function that logs a statement of the current session in the current transaction: the policies
    /// admit the support role's writes only in a transaction that holds such a row for its session.
    /// </summary>
    public static string WriteBody(string role) => $"""

        DECLARE
            token pg_catalog.text := pg_catalog.current_setting('{TokenSetting}', true);
            r record;
            result pg_catalog.int8;
        BEGIN
            IF NOT pg_catalog.pg_has_role(SESSION_USER, {Identifiers.Literal(role)}, 'MEMBER') THEN
                RAISE EXCEPTION 'The login % is not a member of the support role %, so it cannot log a support write.', SESSION_USER, {Identifiers.Literal(role)}
                    USING ERRCODE = '42501';
            END IF;
            IF p_statement IS NULL THEN
                RAISE EXCEPTION 'A support write needs the text of its statement.' USING ERRCODE = '22023';
            END IF;
            SELECT l.id, l.allow_writes, l.login, l.xact, l.token_hash INTO r
                FROM {QualifiedTable} l WHERE l.backend_pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()
                ORDER BY l.backend_pid DESC, l.id DESC LIMIT 1;
            IF NOT FOUND OR token IS NULL OR token OPERATOR(pg_catalog.=) '' OR r.login OPERATOR(pg_catalog.<>) SESSION_USER
               OR r.token_hash OPERATOR(pg_catalog.<>) pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8'))
               OR pg_catalog.pg_xact_status(r.xact) IS DISTINCT FROM 'committed' THEN
                RAISE EXCEPTION 'No committed support session is logged on this connection, so there is no session to log the write in.'
                    USING ERRCODE = '42501';
            END IF;
            IF NOT r.allow_writes THEN
                RAISE EXCEPTION 'The support session % was logged without allowWrites, so it cannot write.', r.id USING ERRCODE = '42501';
            END IF;
            INSERT INTO {QualifiedWritesTable} (session_id, xact, statement) VALUES (r.id, pg_catalog.pg_current_xact_id(), p_statement)
            RETURNING id INTO result;
            RETURN result;
        END

        """;

    /// <summary>The scope lookup both policy functions share: the latest row of this backend, if the session may use it.</summary>
    private const string ScopeLookup = $"""

            token pg_catalog.text := pg_catalog.current_setting('{TokenSetting}', true);
            r record;
        BEGIN
            IF token IS NULL OR token OPERATOR(pg_catalog.=) '' THEN
                RETURN NULL;
            END IF;
            SELECT l.id, l.all_tenants, l.tenants, l.allow_writes, l.login, l.xact, l.token_hash INTO r
                FROM {QualifiedTable} l WHERE l.backend_pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()
                ORDER BY l.backend_pid DESC, l.id DESC LIMIT 1;
            IF NOT FOUND OR r.login OPERATOR(pg_catalog.<>) SESSION_USER
               OR r.token_hash OPERATOR(pg_catalog.<>) pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8'))
               OR pg_catalog.pg_xact_status(r.xact) IS DISTINCT FROM 'committed'
               OR (for_write AND NOT r.allow_writes) THEN
                RETURN NULL;
            END IF;
            IF for_write AND NOT EXISTS (SELECT FROM {QualifiedWritesTable} w WHERE w.session_id OPERATOR(pg_catalog.=) r.id
                                         AND w.xact OPERATOR(pg_catalog.=) pg_catalog.pg_current_xact_id_if_assigned()) THEN
                RETURN NULL;
            END IF;

        """;

    public const string AllBody = "\nDECLARE" + ScopeLookup + "    RETURN r.all_tenants;\nEND\n";

    public const string TenantsBody = "\nDECLARE" + ScopeLookup + "    RETURN r.tenants;\nEND\n";

    public static string[] CreateFunctions(string role) =>
    [
        $"CREATE OR REPLACE FUNCTION \"{Schema}\".\"{BeginFunction}\"(p_actor pg_catalog.text, p_reason pg_catalog.text, p_tenants pg_catalog.text[], "
            + "p_all_tenants pg_catalog.bool, p_allow_writes pg_catalog.bool, p_token pg_catalog.text) RETURNS pg_catalog.int8\n"
            + $"LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = {SignedContextSql.SafeSearchPath}\nAS {Tag}{BeginBody(role)}{Tag};",
        $"CREATE OR REPLACE FUNCTION \"{Schema}\".\"{AllFunction}\"(for_write pg_catalog.bool) RETURNS pg_catalog.bool\n"
            + $"LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {SignedContextSql.SafeSearchPath}\nAS {Tag}{AllBody}{Tag};",
        $"CREATE OR REPLACE FUNCTION \"{Schema}\".\"{TenantsFunction}\"(for_write pg_catalog.bool) RETURNS pg_catalog.text[]\n"
            + $"LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {SignedContextSql.SafeSearchPath}\nAS {Tag}{TenantsBody}{Tag};",
        $"CREATE OR REPLACE FUNCTION \"{Schema}\".\"{WriteFunction}\"(p_statement pg_catalog.text) RETURNS pg_catalog.int8\n"
            + $"LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = {SignedContextSql.SafeSearchPath}\nAS {Tag}{WriteBody(role)}{Tag};",
        .. Signatures.Select(RevokeFunctionFromEveryone),
        .. Signatures.Select(s => GrantExecute(s, role)),
    ];

    public static readonly string[] Signatures = [BeginSignature, AllSignature, TenantsSignature, WriteSignature];

    public static string RevokeFunctionFromEveryone(string signature) => RegistrySql.RevokeFromEveryone(
        $"{Identifiers.Literal(signature)}::pg_catalog.regprocedure", "pg_proc", "proacl", "proowner", 'f', "ALL", "FUNCTION " + signature);

    public static string GrantExecute(string signature, string role) => $"GRANT EXECUTE ON FUNCTION {signature} TO {Identifiers.Quote(role)};";

    public static string RevokeExecute(string signature, string grantee) => $"REVOKE EXECUTE ON FUNCTION {signature} FROM {Grantee(grantee)};";

    public static string GrantSchemaUsage(string schema, string role) => $"GRANT USAGE ON SCHEMA {Identifiers.Quote(schema)} TO {Identifiers.Quote(role)};";

    /// <summary>What the support role may do to a protected table; the policies decide which rows, and writes only when logged.</summary>
    public static string GrantTable(string relation, string role) => $"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {relation} TO {Identifiers.Quote(role)};";

    public static string GrantVerifier(string role) => $"GRANT EXECUTE ON FUNCTION {SignedContextNames.QualifiedVerifier}(pg_catalog.text) TO {Identifiers.Quote(role)};";

    /// <summary>Whether the logged session admits the row: every tenant, or the row's tenant among the logged ones.</summary>
    public static string Admits(string column, bool forWrite)
    {
        var w = forWrite ? "true" : "false";
        return $"((SELECT \"{Schema}\".\"{AllFunction}\"({w})) OR ({Identifiers.Quote(column)})::pg_catalog.text OPERATOR(pg_catalog.=) ANY ((SELECT \"{Schema}\".\"{TenantsFunction}\"({w}))::pg_catalog.text[]))";
    }

    /// <summary>The three policies of one table, each followed by the comment that marks the model it was made from.</summary>
    public static string[] CreatePolicies(string relation, string column, string role)
    {
        var r = Identifiers.Quote(role);
        return
        [
            $"CREATE POLICY \"{Policy}\" ON {relation} AS PERMISSIVE FOR ALL TO {r}\n    USING {Admits(column, false)}\n    WITH CHECK {Admits(column, true)};",
            $"CREATE POLICY \"{ScopePolicy}\" ON {relation} AS RESTRICTIVE FOR ALL TO {r}\n    USING {Admits(column, false)}\n    WITH CHECK {Admits(column, true)};",
            $"CREATE POLICY \"{DeletePolicy}\" ON {relation} AS RESTRICTIVE FOR DELETE TO {r}\n    USING {Admits(column, true)};",
            .. PolicyNames.Select(p => $"COMMENT ON POLICY \"{p}\" ON {relation} IS {Identifiers.Literal(Marker(relation, column, role))};"),
        ];
    }

    public static string[] DropPolicies(string relation, bool ifExists) =>
        [.. PolicyNames.Select(p => $"DROP POLICY {(ifExists ? "IF EXISTS " : "")}\"{p}\" ON {relation};")];

    public static readonly string[] PolicyNames = [Policy, ScopePolicy, DeletePolicy];

    /// <summary>
    /// The comment on each support policy: a fingerprint of the statements that made it, so that a second run knows the
    /// policies are the model's (role, column, expressions) without comparing the server's printing of them.
    /// </summary>
    public static string Marker(string relation, string column, string role)
    {
        var text = string.Join("\n", PolicyBodies(relation, column, role));
        return "dapper_tenants support v1 " + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }

    private static IEnumerable<string> PolicyBodies(string relation, string column, string role) =>
        [relation, column, role, Admits(column, false), Admits(column, true)];

    private static string Grantee(string role) => role == "PUBLIC" ? "PUBLIC" : Identifiers.Quote(role);
}
