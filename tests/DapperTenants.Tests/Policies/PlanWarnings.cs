namespace DapperTenants.Tests.Policies;

/// <summary>The plan's warnings other than a key that does not lead on the tenant column, for tests about something else.</summary>
public static class PlanWarnings
{
    public static IEnumerable<string> OtherThanKeys(this PolicyPlan plan) =>
        plan.Warnings.Where(w => !w.Contains(" does not lead on the tenant column ", StringComparison.Ordinal));
}
