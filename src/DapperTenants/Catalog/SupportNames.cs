namespace DapperTenants.Catalog;

/// <summary>
/// The support access objects: what the installer creates (<c>Policies/</c>), what <see cref="SupportDataSource"/> calls
/// and what <see cref="SupportAccessLog"/> and the audit read must agree on these.
/// </summary>
internal static class SupportNames
{
    /// <summary>The schema, shared with the signed context and the tenant registry.</summary>
    public const string Schema = SignedContextNames.Schema;

    /// <summary>The append-only access log: one row per support session.</summary>
    public const string Table = "access_log";

    /// <summary>The append-only write log: one row per statement that may write, in the transaction of the write.</summary>
    public const string WritesTable = "access_log_writes";

    /// <summary>The <c>SECURITY DEFINER</c> function that logs a statement of a write-allowed session in the current transaction.</summary>
    public const string WriteFunction = "log_support_write";

    /// <summary>The <c>SECURITY DEFINER</c> function that writes a log row and starts the session's scope: the only way in.</summary>
    public const string BeginFunction = "begin_support_session";

    /// <summary>The function the policies call: whether the current session's logged scope covers every tenant.</summary>
    public const string AllFunction = "support_all_tenants";

    /// <summary>The function the policies call: the tenants of the current session's logged scope.</summary>
    public const string TenantsFunction = "support_tenants";

    /// <summary>The session setting that holds the session's secret token; the log keeps only its SHA-256.</summary>
    public const string TokenSetting = "dapper_tenants.support_session";

    /// <summary>The permissive policy that admits the support role to the tenants of its logged session.</summary>
    public const string Policy = "dapper_tenants_support";

    /// <summary>The restrictive policy that keeps the support role inside its logged scope whatever else admits it.</summary>
    public const string ScopePolicy = "dapper_tenants_support_scope";

    /// <summary>The restrictive policy that lets the support role delete only in a session logged with writes allowed.</summary>
    public const string DeletePolicy = "dapper_tenants_support_delete";

    public const string QualifiedTable = "\"" + Schema + "\".\"" + Table + "\"";

    public const string QualifiedWritesTable = "\"" + Schema + "\".\"" + WritesTable + "\"";

    public const string WriteSignature = "\"" + Schema + "\".\"" + WriteFunction + "\"(pg_catalog.text)";

    public const string BeginSignature = "\"" + Schema + "\".\"" + BeginFunction
        + "\"(pg_catalog.text, pg_catalog.text, pg_catalog.text[], pg_catalog.bool, pg_catalog.bool, pg_catalog.text)";

    public const string AllSignature = "\"" + Schema + "\".\"" + AllFunction + "\"(pg_catalog.bool)";

    public const string TenantsSignature = "\"" + Schema + "\".\"" + TenantsFunction + "\"(pg_catalog.bool)";

    /// <summary>The log's columns with their types as <c>format_type</c> prints them.</summary>
    public static readonly IReadOnlyList<(string Name, string Type)> Columns =
    [
        ("id", "bigint"),
        ("actor", "text"),
        ("reason", "text"),
        ("all_tenants", "boolean"),
        ("tenants", "text[]"),
        ("allow_writes", "boolean"),
        ("started_at", "timestamp with time zone"),
        ("login", "text"),
        ("backend_pid", "integer"),
        ("client_addr", "inet"),
        ("application_name", "text"),
        ("xact", "xid8"),
        ("token_hash", "bytea"),
    ];

    /// <summary>The write log's columns with their types as <c>format_type</c> prints them.</summary>
    public static readonly IReadOnlyList<(string Name, string Type)> WritesColumns =
    [
        ("id", "bigint"),
        ("session_id", "bigint"),
        ("at", "timestamp with time zone"),
        ("xact", "xid8"),
        ("statement", "text"),
    ];
}
