namespace DapperTenants.Catalog;

/// <summary>
/// The built-in functions PostgreSQL grants to PUBLIC that run a query given as text (or the query of a cursor): SQL
/// inside a string, which no check of the statement's text can follow. The audit reports a login that may execute them;
/// the installer's hardening revokes them from PUBLIC.
/// </summary>
internal static class SqlExecutingBuiltIns
{
    /// <summary>Each function's signature, in ordinal order, in <c>pg_catalog</c>, with the argument types as <c>oidvectortypes</c> prints them.</summary>
    public static readonly IReadOnlyList<string> Signatures =
    [
        "cursor_to_xml(refcursor, integer, boolean, boolean, text)",
        "cursor_to_xmlschema(refcursor, boolean, boolean, text)",
        "query_to_xml(text, boolean, boolean, text)",
        "query_to_xml_and_xmlschema(text, boolean, boolean, text)",
        "query_to_xmlschema(text, boolean, boolean, text)",
        "ts_rewrite(tsquery, text)",
        "ts_stat(text)",
        "ts_stat(text, text)",
    ];

    /// <summary>The functions' names, for a catalog query.</summary>
    public static readonly IReadOnlyList<string> Names = [.. Signatures.Select(s => s[..s.IndexOf('(', StringComparison.Ordinal)]).Distinct()];
}
