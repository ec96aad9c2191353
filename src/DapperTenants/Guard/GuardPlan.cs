using Npgsql;

namespace DapperTenants.Guard;

/// <summary>What the guard learned from one SQL text: the checks to run each time a command with that text executes.</summary>
internal sealed class GuardPlan
{
    public static readonly GuardPlan Pass = new([]);

    private readonly GuardCheck[] _checks;

    public GuardPlan(GuardCheck[] checks)
    {
        _checks = checks;
    }

    public IReadOnlyList<GuardCheck> Checks => _checks;

    /// <summary>Throws the first refusal; allocates nothing when the command passes.</summary>
    public void Evaluate(NpgsqlParameterCollection parameters, GuardContext context) => Evaluate(parameters, context.Tenant);

    /// <summary>Throws the first refusal; allocates nothing when the command passes.</summary>
    public void Evaluate(NpgsqlParameterCollection parameters, string tenant)
    {
        foreach (var check in _checks)
        {
            if (check.Evaluate(parameters, tenant) is { } refusal)
            {
                throw refusal;
            }
        }
    }
}
