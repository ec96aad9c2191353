using DapperTenants.Catalog;

namespace DapperTenants.Audit;

/// <summary>
/// Judges one policy expression against a table's tenant column: it accepts only an equality between the tenant column
/// and a tenant that fails closed (<c>NULLIF(current_setting(name, true), '')</c>, the signed context's verifier, or the
/// raw setting cast to a type that rejects <c>''</c>), and says which shape it saw otherwise.
/// </summary>
internal sealed class PolicyJudge
{
    private static readonly HashSet<string> TextTypes = new(StringComparer.Ordinal)
    {
        "text", "character varying", "varchar", "character", "char", "bpchar", "name", "citext",
    };

    private readonly string _table;
    private readonly string _column;
    private readonly bool _textColumn;
    private ParsedExpression _parsed = null!;

    /// <summary>A judge for the policies of <paramref name="table"/>.</summary>
    public PolicyJudge(ProtectedTable table)
    {
        _table = table.Table;
        _column = table.TenantColumn;
        var type = table.Tenant?.Type ?? table.TenantType;
        var paren = type.IndexOf('(', StringComparison.Ordinal);
        _textColumn = TextTypes.Contains(paren < 0 ? type : type[..paren].TrimEnd());
    }

    /// <summary>The verdict on <paramref name="text"/> (a USING or WITH CHECK as <c>pg_get_expr</c> prints it).</summary>
    public PolicyVerdict Judge(string text)
    {
        _parsed = PolicyExpressionParser.Parse(text);
        return Verdict(_parsed.Root);
    }

    private PolicyVerdict Verdict(PolicyExpression expression)
    {
        switch (expression)
        {
            case PolicyExpression.And and:
                return PolicyVerdict.All([.. and.Terms.Select(Verdict)]);
            case PolicyExpression.Or or:
                return PolicyVerdict.Any([.. or.Terms.Select(Verdict)]);
            case PolicyExpression.Constant { Value: "true" }:
                return new(PolicyVerdictKind.AlwaysTrue, "true");
            case PolicyExpression.Constant { Value: "false" or null }:
                return PolicyVerdict.Deny;
            case PolicyExpression.NullTest test when IsTenantColumn(test.Operand):
                return test.IsNull
                    ? new(PolicyVerdictKind.Shared, $"rows whose tenant is NULL ({Text(expression)})")
                    : new(PolicyVerdictKind.FailsOpen, $"{Text(expression)}: every row that has a tenant, whichever it is");
            case PolicyExpression.Binary { Operator: "=" or "IS NOT DISTINCT FROM" } equal when IsTenantColumn(equal.Left) || IsTenantColumn(equal.Right):
                var other = IsTenantColumn(equal.Left) ? equal.Right : equal.Left;
                return IsTenantColumn(other)
                    ? new(PolicyVerdictKind.FailsOpen, $"{Text(expression)}: the tenant column compared with itself")
                    : Source(other, expression);
            case PolicyExpression.Binary { Operator: "<>" or "!=" or "<" or ">" or "<=" or ">=" or "IS DISTINCT FROM" or "!~~" or "!~~*" } unequal
                when ReadsTenant(unequal.Left) || ReadsTenant(unequal.Right):
                return new(PolicyVerdictKind.FailsOpen, $"{Text(expression)}: not an equality, it admits other tenants' values");
            default:
                return ReadsTenant(expression)
                    ? new(PolicyVerdictKind.Unproven, $"{Describe(expression)} ({Text(expression)})")
                    : new(PolicyVerdictKind.IgnoresTenant, Text(expression));
        }
    }

    /// <summary>The verdict on <c>tenant = <paramref name="source"/></c>.</summary>
    private PolicyVerdict Source(PolicyExpression source, PolicyExpression comparison)
    {
        var bare = source.Bare();
        var castToNonText = Casts(source).Any(t => !TextTypes.Contains(t));
        switch (bare)
        {
            case PolicyExpression.Call { Name: "nullif", Arguments: [var value, var empty] } when IsSetting(value) && empty.Bare() is PolicyExpression.Constant { Value: "", IsString: true }:
                return new(PolicyVerdictKind.Isolates);
            case PolicyExpression.Call call when IsSetting(call):
                return castToNonText || !_textColumn
                    ? new(PolicyVerdictKind.Isolates)
                    : new(PolicyVerdictKind.EmptySettingIsATenant, $"{Text(comparison)}: current_setting without NULLIF");
            case PolicyExpression.Call call when IsVerifier(call):
                return new(PolicyVerdictKind.Isolates);
            case PolicyExpression.Call { Name: "coalesce" or "pg_catalog.coalesce" } coalesce when coalesce.Arguments.Any(a => IsSetting(a.Bare()) || IsNullIfSetting(a.Bare())):
                var fallback = coalesce.Arguments.Skip(1).Any(ReadsTenant)
                    ? "an unset setting compares the tenant column with itself and admits every tenant"
                    : "an unset setting falls back to a fixed tenant that every connection without one shares";
                return new(PolicyVerdictKind.FailsOpen, $"{Text(comparison)}: COALESCE around the setting: {fallback}");
            case PolicyExpression.RoleName role:
                return new(PolicyVerdictKind.FailsOpen, $"{Text(comparison)}: the tenant is the login's name ({role.Keyword}), which every tenant of a shared application login has");
            case PolicyExpression.Constant constant:
                return new(PolicyVerdictKind.FailsOpen, $"{Text(comparison)}: a fixed tenant ('{constant.Value}') that every connection sees");
            case PolicyExpression.Column:
                return new(PolicyVerdictKind.FailsOpen, $"{Text(comparison)}: the tenant column compared with another column of the row");
            case PolicyExpression.Call call:
                return new(PolicyVerdictKind.Unproven, $"{Text(comparison)}: the tenant comes from {call.Name}(), a function the audit cannot see into");
            default:
                return new(PolicyVerdictKind.Unproven, $"{Text(comparison)}: the tenant comes from {Describe(bare)}, which the audit cannot prove fails closed");
        }
    }

    private static IEnumerable<string> Casts(PolicyExpression expression)
    {
        while (true)
        {
            switch (expression)
            {
                case PolicyExpression.Cast cast:
                    yield return cast.Type;
                    expression = cast.Operand;
                    break;
                case PolicyExpression.ScalarSelect select:
                    expression = select.Value;
                    break;
                default:
                    yield break;
            }
        }
    }

    private static bool IsSetting(PolicyExpression expression) =>
        expression.Bare() is PolicyExpression.Call { Name: "current_setting" or "pg_catalog.current_setting", Arguments: [var name, ..] }
        && name.Bare() is PolicyExpression.Constant { IsString: true };

    private static bool IsNullIfSetting(PolicyExpression expression) =>
        expression is PolicyExpression.Call { Name: "nullif", Arguments: [var value, _] } && IsSetting(value);

    private static bool IsVerifier(PolicyExpression.Call call) =>
        call.Name == SignedContextNames.Schema + "." + SignedContextNames.Verifier;

    private bool IsTenantColumn(PolicyExpression expression) => expression.Bare() is PolicyExpression.Column column && IsTenantName(column.Qualifier, column.Name);

    private bool IsTenantName(string? qualifier, string name) => name == _column && (qualifier is null || qualifier == _table);

    /// <summary>Whether the expression reads the tenant column (or the whole row, <c>t.*</c>, which holds it) anywhere.</summary>
    private bool ReadsTenant(PolicyExpression expression) => expression switch
    {
        PolicyExpression.Column column => IsTenantName(column.Qualifier, column.Name) || IsWholeRow(column.Qualifier, column.Name),
        PolicyExpression.Opaque opaque => opaque.Names.Any(n => (n.Qualifier == _table && n.Name == PolicyExpression.WholeRow) || (opaque.InSubSelect
            ? n.Qualifier == _table && n.Name == _column
            : IsTenantName(n.Qualifier, n.Name) || IsWholeRow(n.Qualifier, n.Name))),
        PolicyExpression.Or or => or.Terms.Any(ReadsTenant),
        PolicyExpression.And and => and.Terms.Any(ReadsTenant),
        PolicyExpression.Not not => ReadsTenant(not.Operand),
        PolicyExpression.Binary binary => ReadsTenant(binary.Left) || ReadsTenant(binary.Right),
        PolicyExpression.NullTest test => ReadsTenant(test.Operand),
        PolicyExpression.Call call => call.Arguments.Any(ReadsTenant),
        PolicyExpression.Cast cast => ReadsTenant(cast.Operand),
        PolicyExpression.ScalarSelect select => ReadsTenant(select.Value),
        _ => false,
    };

    /// <summary>A whole-row reference to the table: <c>t.*</c> as pg_get_expr prints it, or the bare table name.</summary>
    private bool IsWholeRow(string? qualifier, string name) =>
        (qualifier == _table && name == PolicyExpression.WholeRow) || (qualifier is null && name == _table);

    private static string Describe(PolicyExpression expression) => expression switch
    {
        PolicyExpression.Opaque opaque => opaque.What,
        PolicyExpression.Call call => $"a call of {call.Name}()",
        PolicyExpression.Not => "a negation",
        PolicyExpression.Binary binary => $"the operator {binary.Operator}",
        _ => "an expression",
    };

    private string Text(PolicyExpression expression) => _parsed.TextOf(expression);
}
