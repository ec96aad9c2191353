namespace DapperTenants.Guard;

/// <summary>Where the analysis of one text (and of the SQL inside its strings) collects its checks and spends its budget.</summary>
internal sealed class PlanSink
{
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private long _remaining;

    public PlanSink(long budget)
    {
        _remaining = budget;
    }

    public List<GuardCheck> Checks { get; } = [];

    /// <summary>A check that refuses every execution is in the plan: nothing after it can run, so the analysis stops.</summary>
    public bool Refused { get; private set; }

    /// <summary>The structural pass ran out of budget: from here on, tenant values are left to the database.</summary>
    public bool Exhausted { get; private set; }

    /// <summary>Takes <paramref name="work"/> from the budget; false (for good) once it is spent.</summary>
    public bool Spend(int work)
    {
        if (Exhausted)
        {
            return false;
        }

        _remaining -= work;
        Exhausted = _remaining < 0;
        return !Exhausted;
    }

    public void Add(GuardCheck check)
    {
        Checks.Add(check);
        Refused |= check.AlwaysRefuses;
    }

    /// <summary>Adds a check unless one with the same key (the same verdict on every execution) is already in.</summary>
    public void Add(string key, GuardCheck check)
    {
        if (_keys.Add(key))
        {
            Add(check);
        }
    }
}
