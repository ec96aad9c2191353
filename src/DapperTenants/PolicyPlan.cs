using System.Globalization;
using System.Text;

namespace DapperTenants;

/// <summary>
/// What <see cref="PolicyInstaller"/> found in the database: the steps that would bring it to the state the
/// <see cref="RlsAttribute"/> types describe, the errors that prevent that, and warnings for a human.
/// </summary>
public sealed class PolicyPlan
{
    internal PolicyPlan(IReadOnlyList<PolicyStep> steps, IReadOnlyList<string> warnings, IReadOnlyList<string> errors)
    {
        Steps = steps;
        Warnings = warnings;
        Errors = errors;
    }

    /// <summary>The changes, in the order they are applied.</summary>
    public IReadOnlyList<PolicyStep> Steps { get; }

    /// <summary>
    /// Findings that need a human but block nothing: a tenant column without an index leading on it, a nullable tenant
    /// column without shared rows, other permissive policies that widen access, the installer's policy on a table no
    /// type maps any more, and grants of <c>TRUNCATE</c> or <c>REFERENCES</c> (which ignore Row-Level Security); with
    /// the signed context, an installed signing key that was neither given nor retired, and a verifier nobody but the
    /// owner may execute.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// Why the plan cannot be applied: a missing table or tenant column, a column type that disagrees with the property,
    /// a table (or, with the signed context, its schema, key table or functions) the installer's login does not own, a
    /// missing grantee role. <see cref="PolicyInstaller.ApplyAsync"/>
    /// applies nothing while there is one.
    /// </summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>Whether the database is already in the described state: no steps and no errors (warnings may remain).</summary>
    public bool IsEmpty => Steps.Count == 0 && Errors.Count == 0;

    /// <summary>Whether the plan has errors, so applying it would throw.</summary>
    public bool HasErrors => Errors.Count > 0;

    /// <summary>The SQL of every step, each preceded by a comment with its target and reason.</summary>
    /// <returns>The statements; an empty string when there are no steps.</returns>
    public string ToSql()
    {
        var sql = new StringBuilder();
        foreach (var step in Steps)
        {
            sql.Append("-- ").Append(Comment(step.Target)).Append(": ").Append(Comment(step.Reason)).Append('\n').Append(step.Sql).Append('\n');
        }

        return sql.ToString();
    }

    /// <summary>Keeps a name with a line break (legal in a quoted identifier) inside its comment line.</summary>
    internal static string Comment(string text) => text.ReplaceLineEndings(" ");

    /// <summary>A summary for logs: the steps, then the errors and warnings.</summary>
    /// <returns>One line per step, error and warning.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Steps.Count} step(s), {Errors.Count} error(s), {Warnings.Count} warning(s)");
        foreach (var step in Steps)
        {
            text.Append("\nstep: ").Append(step);
        }

        foreach (var error in Errors)
        {
            text.Append("\nerror: ").Append(error);
        }

        foreach (var warning in Warnings)
        {
            text.Append("\nwarning: ").Append(warning);
        }

        return text.ToString();
    }
}
