using DapperTenants.Catalog;
using static DapperTenants.Policies.Identifiers;

namespace DapperTenants.Policies;

/// <summary>The hardening statements: no temporary objects, no CREATE in the tables' schemas, no SQL-executing built-ins for the app login.</summary>
internal static class HardeningSql
{
    public static string RevokeTemporary(string quotedDatabase, string grantee) => $"REVOKE TEMPORARY ON DATABASE {quotedDatabase} FROM {grantee};";

    public static string GrantTemporary(string quotedDatabase, string role) => $"GRANT TEMPORARY ON DATABASE {quotedDatabase} TO {Quote(role)};";

    public static string RevokeCreate(string schema, string grantee) => $"REVOKE CREATE ON SCHEMA {Quote(schema)} FROM {grantee};";

    public static string RevokeExecute(string signature) => $"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC;";

    /// <summary>Every SQL-executing built-in, as <see cref="RevokeExecute"/> names it.</summary>
    public static IEnumerable<string> BuiltIns => SqlExecutingBuiltIns.Signatures.Select(s => "pg_catalog." + s);

    /// <summary>The statements a superuser runs to revoke the built-ins from PUBLIC.</summary>
    public static string RevokeBuiltIns(IEnumerable<string> signatures) => string.Join("\n", signatures.Select(RevokeExecute));
}
