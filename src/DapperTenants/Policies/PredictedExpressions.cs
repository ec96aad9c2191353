using DapperTenants.Catalog;

namespace DapperTenants.Policies;

/// <summary>
/// What <c>pg_get_expr</c> prints for the installer's expressions, predicted without a round trip (PostgreSQL 15's
/// deparser). A stored expression equal to the prediction is the model's. One that differs is only drift if it also
/// differs from what the server itself prints for the model (<see cref="ExpressionRenderer"/>), so a server that
/// prints differently costs a render, never a false repair.
/// </summary>
internal static class PredictedExpressions
{
    public static string Value(string settingName, TenantSqlType type, bool signed = false)
    {
        var value = signed
            ? $"{SignedContextNames.Schema}.{SignedContextNames.Verifier}('{settingName}'::text)"
            : $"NULLIF(current_setting('{settingName}'::text, true), ''::text)";
        return type == TenantSqlType.Text ? value : $"({value})::{type.Cast}";
    }

    /// <summary>The column alias the deparser gives the policy's sub-select: the name of its outermost function.</summary>
    private static string Alias(bool signed) => signed ? SignedContextNames.Verifier : "nullif";

    /// <remarks><c>quotedColumn</c> is the column as <c>quote_ident</c> prints it (quoted only when needed).</remarks>
    public static string Own(string quotedColumn, uint columnTypeOid, string settingName, TenantSqlType type, bool signed = false)
    {
        var left = type.ComparesThroughCast(columnTypeOid) ? $"({quotedColumn})::{type.Cast}" : quotedColumn;
        return $"({left} = ( SELECT {Value(settingName, type, signed)} AS {Quoted(Alias(signed))}))";
    }

    public static string SharedRows(string quotedColumn, string settingName, bool signed = false) =>
        $"(({quotedColumn} IS NULL) AND (( SELECT {Value(settingName, TenantSqlType.Text, signed)} AS {Quoted(Alias(signed))}) IS NOT NULL))";

    public static string Default(string settingName, TenantSqlType type, bool signed = false) => Value(settingName, type, signed);

    // "nullif" is a keyword, so the deparser quotes it; tenant_of is a plain name and stays bare.
    private static string Quoted(string alias) => alias == "nullif" ? "\"nullif\"" : alias;
}
