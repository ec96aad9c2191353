using DapperTenants.Catalog;
using static DapperTenants.Catalog.RegistryNames;

namespace DapperTenants.Policies;

/// <summary>
/// The DDL of the tenant registry: a table the owner writes and the app login only reads, and, when the installer is
/// asked for it, a <c>SECURITY DEFINER</c> function through which the app login registers a missing tenant and nothing else.
/// </summary>
internal static class RegistrySql
{
    /// <summary>The function's body, compared with <c>pg_proc.prosrc</c> to detect drift.</summary>
    /// <remarks>
    /// It inserts the given value as it is (the table's checks bound its length) and never changes an existing row: a
    /// disabled or purged tenant stays so. It returns the tenant's state after the call.
    /// </remarks>
    public const string CreateFunctionBody = $"""

        DECLARE
            result pg_catalog.text;
        BEGIN
            INSERT INTO {QualifiedTable} (id) VALUES (tenant) ON CONFLICT (id) DO NOTHING;
            SELECT t.state INTO result FROM {QualifiedTable} t WHERE t.id OPERATOR(pg_catalog.=) tenant;
            RETURN result;
        END

        """;

    /// <summary>The function's argument types as <c>oidvectortypes</c> prints them.</summary>
    public const string CreateFunctionArguments = "text";

    public static readonly string QualifiedSchema = Identifiers.Quote(Schema);

    public static string CreateSchema() => $"CREATE SCHEMA IF NOT EXISTS {QualifiedSchema};";

    public static string GrantSchemaUsage(string role) => $"GRANT USAGE ON SCHEMA {QualifiedSchema} TO {Identifiers.Quote(role)};";

    /// <summary>The table, then every write privilege on it taken from everyone but its owner (default privileges may have granted some).</summary>
    public static string[] CreateTable(bool ifNotExists) =>
    [
        $"""
        CREATE TABLE {(ifNotExists ? "IF NOT EXISTS " : "")}{QualifiedTable} (
            id pg_catalog.text PRIMARY KEY CHECK (pg_catalog.octet_length(id) BETWEEN 1 AND 4096),
            state pg_catalog.text NOT NULL DEFAULT '{Active}' CONSTRAINT {StateCheck} {StateCheckDefinition},
            created_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
            disabled_at pg_catalog.timestamptz,
            disabled_reason pg_catalog.text
        );
        """,
        RevokeFromEveryone($"pg_catalog.to_regclass({Identifiers.Literal(QualifiedTable)})", "pg_class", "relacl", "relowner", 'r', WritePrivileges, "TABLE " + QualifiedTable),
    ];

    /// <summary>The states the registry admits, as <c>pg_get_constraintdef</c> prints the check (compared to detect a registry older than the purging state).</summary>
    public const string StateCheckDefinition = $"CHECK ((state = ANY (ARRAY['{Active}'::text, '{Disabled}'::text, '{Purged}'::text, '{Purging}'::text])))";

    /// <summary>Replaces the states' check of an older registry (which lacked <c>purging</c>) in one statement.</summary>
    public static string ReplaceStateCheck() =>
        $"ALTER TABLE {QualifiedTable} DROP CONSTRAINT IF EXISTS {StateCheck}, ADD CONSTRAINT {StateCheck} {StateCheckDefinition};";

    /// <summary>Every privilege that changes the table; SELECT stays with whoever has it (the registry is metadata, not a tenant's rows).</summary>
    public const string WritePrivileges = "INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER";

    /// <summary>Takes the write privileges from everyone but the owner, whoever granted them and however (table or column grants).</summary>
    public static string RevokeWritesFromEveryone() => CreateTable(ifNotExists: true)[1];

    public static string GrantSelect(string role) => $"GRANT SELECT ON TABLE {QualifiedTable} TO {Identifiers.Quote(role)};";

    /// <summary>Takes every write privilege from a grantee; a table-level REVOKE also takes the column-level grants of the same privileges.</summary>
    public static string RevokeWrites(string grantee) =>
        $"REVOKE {WritePrivileges} ON TABLE {QualifiedTable} FROM {Grantee(grantee)};";

    public static string[] CreateFunction() =>
    [
        $"CREATE OR REPLACE FUNCTION {QualifiedCreateFunction}(tenant pg_catalog.text) RETURNS pg_catalog.text\n"
            + $"LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = {SignedContextSql.SafeSearchPath}\n"
            + "AS $dapper_tenants$" + CreateFunctionBody + "$dapper_tenants$;",
        RevokeFromEveryone(
            $"{Identifiers.Literal(QualifiedCreateFunction + "(pg_catalog.text)")}::pg_catalog.regprocedure", "pg_proc", "proacl", "proowner", 'f', "ALL",
            $"FUNCTION {QualifiedCreateFunction}(pg_catalog.text)"),
    ];

    public static string DropFunction() => $"DROP FUNCTION {QualifiedCreateFunction}(pg_catalog.text);";

    public static string DropFunctionIfExists() => $"DROP FUNCTION IF EXISTS {QualifiedCreateFunction}(pg_catalog.text);";

    public static string GrantExecute(string role) => $"GRANT EXECUTE ON FUNCTION {QualifiedCreateFunction}(pg_catalog.text) TO {Identifiers.Quote(role)};";

    public static string RevokeExecute(string grantee) => $"REVOKE EXECUTE ON FUNCTION {QualifiedCreateFunction}(pg_catalog.text) FROM {Grantee(grantee)};";

    /// <summary>
    /// A DO block that revokes privileges on an object from everyone but its owner: a new object gets what the
    /// default privileges say (EXECUTE for PUBLIC on a function, also while its ACL is still NULL, whatever <c>ALTER DEFAULT PRIVILEGES</c> added), and the
    /// planner cannot see those before the object exists.
    /// </summary>
    internal static string RevokeFromEveryone(string oidExpression, string catalog, string aclColumn, string ownerColumn, char kind, string privileges, string what) =>
        "DO $dapper_tenants$\nDECLARE\n    grantee pg_catalog.text;\nBEGIN\n"
        + "    FOR grantee IN SELECT DISTINCT CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END\n"
        + $"            FROM pg_catalog.{catalog} o, pg_catalog.aclexplode(COALESCE(o.{aclColumn}, pg_catalog.acldefault('{kind}', o.{ownerColumn}))) a\n"
        + $"            WHERE o.oid OPERATOR(pg_catalog.=) {oidExpression} AND a.grantee OPERATOR(pg_catalog.<>) o.{ownerColumn} LOOP\n"
        + $"        EXECUTE pg_catalog.format('REVOKE {privileges} ON {what.Replace("%", "%%", StringComparison.Ordinal)} FROM %s', grantee);\n"
        + "    END LOOP;\nEND\n$dapper_tenants$;";

    private static string Grantee(string role) => role == "PUBLIC" ? "PUBLIC" : Identifiers.Quote(role);
}
