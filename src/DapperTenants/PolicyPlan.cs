namespace DapperTenants;

/// <summary>What <see cref="PolicyInstaller"/> would change, or changed, to bring the database to the model.</summary>
public sealed class PolicyPlan
{
    /// <summary>Creates a plan.</summary>
    /// <param name="steps">The steps, in order.</param>
    /// <param name="warnings">Things that work but deserve attention.</param>
    /// <param name="errors">Things that stop the plan from being applied.</param>
    public PolicyPlan(IReadOnlyList<PolicyStep> steps, IReadOnlyList<string> warnings, IReadOnlyList<string> errors)
    {
        Steps = steps;
        Warnings = warnings;
        Errors = errors;
    }

    /// <summary>Whether there is nothing to do: no steps and no errors.</summary>
    public bool IsEmpty => Steps.Count == 0 && Errors.Count == 0;

    /// <summary>The steps, in order.</summary>
    public IReadOnlyList<PolicyStep> Steps { get; }

    /// <summary>Things that work but deserve attention.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Things that stop the plan from being applied.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>The steps' SQL as one script.</summary>
    /// <returns>The SQL.</returns>
    public string ToSql() => string.Join(Environment.NewLine, Steps.Select(s => s.Sql));
}
