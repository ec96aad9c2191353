namespace DapperTenants.Audit;

/// <summary>
/// A policy expression as <c>pg_get_expr</c> prints it, read into the few shapes the audit judges. What it cannot read
/// stays an <see cref="Opaque"/> with the names it mentions, so that nothing unread is ever judged safe.
/// </summary>
internal abstract record PolicyExpression
{
    /// <summary><c>a OR b OR …</c>.</summary>
    internal sealed record Or(IReadOnlyList<PolicyExpression> Terms) : PolicyExpression;

    /// <summary><c>a AND b AND …</c>.</summary>
    internal sealed record And(IReadOnlyList<PolicyExpression> Terms) : PolicyExpression;

    /// <summary><c>NOT a</c>.</summary>
    internal sealed record Not(PolicyExpression Operand) : PolicyExpression;

    /// <summary>A binary operator: <c>=</c>, <c>&lt;&gt;</c>, <c>||</c>, <c>-&gt;&gt;</c>, or <c>= ANY</c> with an array or sub-select on the right.</summary>
    internal sealed record Binary(string Operator, PolicyExpression Left, PolicyExpression Right) : PolicyExpression;

    /// <summary><c>a IS NULL</c> or <c>a IS NOT NULL</c>.</summary>
    internal sealed record NullTest(PolicyExpression Operand, bool IsNull) : PolicyExpression;

    /// <summary>A function call; <see cref="Name"/> as PostgreSQL names it, schema-qualified when the text qualifies it.</summary>
    internal sealed record Call(string Name, IReadOnlyList<PolicyExpression> Arguments) : PolicyExpression;

    /// <summary><c>(a)::type</c>; <see cref="Type"/> as printed (<c>integer</c>, <c>character varying</c>).</summary>
    internal sealed record Cast(PolicyExpression Operand, string Type) : PolicyExpression;

    /// <summary>The <see cref="Column.Name"/> of a whole-row reference (<c>t.*</c>): every column of the row named by its qualifier.</summary>
    public const string WholeRow = "*";

    /// <summary>A column, qualified when the text qualifies it (inside sub-selects, by table or alias); <see cref="WholeRow"/> for <c>t.*</c>.</summary>
    internal sealed record Column(string? Qualifier, string Name) : PolicyExpression;

    /// <summary>A constant: <see cref="Value"/> is the decoded string or number, <c>true</c>, <c>false</c> or <see langword="null"/> for NULL.</summary>
    internal sealed record Constant(string? Value, bool IsString) : PolicyExpression;

    /// <summary><c>CURRENT_USER</c>, <c>SESSION_USER</c>, <c>CURRENT_ROLE</c>, <c>USER</c>: the login's (or role's) name.</summary>
    internal sealed record RoleName(string Keyword) : PolicyExpression;

    /// <summary><c>( SELECT value AS alias)</c> with no FROM: the value, computed once per statement.</summary>
    internal sealed record ScalarSelect(PolicyExpression Value) : PolicyExpression;

    /// <summary>
    /// Something the audit does not read further (<c>EXISTS</c>, a sub-select with FROM, <c>IN (…)</c>, <c>CASE</c>,
    /// <c>ARRAY[…]</c>): what it is, its text, and the names it mentions (qualifier or <see langword="null"/>, name).
    /// </summary>
    internal sealed record Opaque(string What, string Text, IReadOnlyList<(string? Qualifier, string Name)> Names, bool InSubSelect) : PolicyExpression;

    /// <summary>The expression without the casts, <c>COLLATE</c>s and FROM-less sub-selects around it.</summary>
    public PolicyExpression Bare() => this switch
    {
        Cast c => c.Operand.Bare(),
        ScalarSelect s => s.Value.Bare(),
        _ => this,
    };
}
