using Npgsql;

namespace DapperTenants.Guard;

/// <summary>What the guard learned from one SQL text: the checks to run each time a command with that text executes.</summary>
internal sealed class GuardPlan
{
    public static readonly GuardPlan Pass = new([]);

    private readonly GuardCheck[] _checks;
    private readonly bool _surfaceFailures;

    /// <param name="checks">The checks, in the order of the statements they come from.</param>
    /// <param name="surfaceFailures">
    /// Whether a check that fails internally throws its exception (tests) instead of being skipped (production: the
    /// database's policies still decide).
    /// </param>
    public GuardPlan(GuardCheck[] checks, bool surfaceFailures = false)
    {
        _checks = checks;
        _surfaceFailures = surfaceFailures;
    }

    public IReadOnlyList<GuardCheck> Checks => _checks;

    /// <summary>Throws the first refusal as <see cref="TenantGuardException"/>; allocates nothing when the command passes.</summary>
    /// <remarks>Never throws anything else, unless the plan was built to surface internal failures.</remarks>
    public void Evaluate(NpgsqlParameterCollection parameters, GuardContext context)
    {
        if (_checks.Length == 0)
        {
            return;
        }

        var evaluation = new GuardEvaluation(parameters, context);
        foreach (var check in _checks)
        {
            TenantGuardException? refusal;
            try
            {
                refusal = check.Evaluate(ref evaluation);
            }
#pragma warning disable CA1031 // An internal failure must not break the command: the database's policies still decide.
            catch (Exception) when (!_surfaceFailures)
            {
                continue;
            }
#pragma warning restore CA1031

            if (refusal is not null)
            {
                throw refusal;
            }
        }
    }
}
