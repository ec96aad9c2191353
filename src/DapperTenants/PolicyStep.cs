namespace DapperTenants;

/// <summary>One change a <see cref="PolicyPlan"/> makes, with the reason for it.</summary>
public sealed class PolicyStep
{
    internal PolicyStep(string target, string reason, params string[] statements)
    {
        Target = target;
        Reason = reason;
        Statements = statements;
        Sql = string.Join("\n", statements);
    }

    /// <summary>The object the step changes, quoted as SQL writes it: a table or partition (<c>"public"."orders"</c>), a schema or a sequence.</summary>
    public string Target { get; }

    /// <summary>Why the step is needed, such as <c>RLS not forced</c> or <c>policy expression differs from the model</c>.</summary>
    public string Reason { get; }

    /// <summary>The statements that make the change, each ending with a semicolon.</summary>
    public string Sql { get; }

    /// <summary>The statements one by one, as the installer sends them.</summary>
    internal IReadOnlyList<string> Statements { get; }

    /// <summary>A signing key bound as <c>$1</c> to each statement when applied: it never appears in <see cref="Sql"/>.</summary>
    internal byte[]? BoundKey { get; init; }

    /// <summary>The target and the reason.</summary>
    /// <returns><c>"public"."orders": RLS not forced</c>.</returns>
    public override string ToString() => Target + ": " + Reason;
}
