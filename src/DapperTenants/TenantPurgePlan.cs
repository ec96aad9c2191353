using System.Text;

namespace DapperTenants;

/// <summary>
/// What <see cref="TenantRegistry.PurgeAsync(TenantPurgePlan, IProgress{TenantPurgeProgress}?, CancellationToken)"/> would delete: every protected table with the
/// tenant's rows in it, in an order the foreign keys allow (referencing tables before the tables they reference).
/// Made by <see cref="TenantRegistry.PlanPurgeAsync"/>, which deletes nothing.
/// </summary>
public sealed class TenantPurgePlan
{
    internal TenantPurgePlan(string tenant, TenantState state, IReadOnlyList<TenantPurgeStep> steps)
    {
        Tenant = tenant;
        State = state;
        Steps = steps;
        TotalRows = steps.Sum(s => s.Rows);
    }

    /// <summary>The tenant.</summary>
    public string Tenant { get; }

    /// <summary>The tenant's state in the registry when the plan was made: only a disabled (or purging) tenant can be purged.</summary>
    public TenantState State { get; }

    /// <summary>Every protected table, in the order the purge deletes from them (tables without rows of the tenant included).</summary>
    public IReadOnlyList<TenantPurgeStep> Steps { get; }

    /// <summary>The tenant's rows in all the tables when the plan was made.</summary>
    public long TotalRows { get; }

    /// <summary>The plan, one table per line, for logs and confirmations.</summary>
    /// <returns>Several lines.</returns>
    public override string ToString()
    {
        var text = new StringBuilder().Append("Purge of tenant '").Append(Tenant).Append("' (").Append(State.ToString().ToLowerInvariant())
            .Append("): ").Append(TotalRows).Append(" rows in ").Append(Steps.Count).Append(" tables");
        for (var i = 0; i < Steps.Count; i++)
        {
            text.AppendLine().Append("  ").Append(i + 1).Append(". ").Append(Steps[i]);
        }

        return text.ToString();
    }
}
