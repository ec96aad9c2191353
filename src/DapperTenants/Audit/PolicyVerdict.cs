namespace DapperTenants.Audit;

/// <summary>What an expression (or a combination of policies) admits, relative to the tenant column.</summary>
internal enum PolicyVerdictKind
{
    /// <summary>Admits no row (<c>false</c>, NULL, or no permissive policy at all).</summary>
    Denies,

    /// <summary>Admits only rows whose tenant equals the connection's tenant, and none when it is unset.</summary>
    Isolates,

    /// <summary>Admits only rows whose tenant is NULL (shared rows).</summary>
    Shared,

    /// <summary>Admits the tenant's rows and the shared (NULL-tenant) rows.</summary>
    IsolatesWithShared,

    /// <summary>Compares the tenant column with the raw setting as text: an empty setting is a tenant, <c>''</c>, that every unset connection shares.</summary>
    EmptySettingIsATenant,

    /// <summary>The constant <c>true</c>.</summary>
    AlwaysTrue,

    /// <summary>Names the tenant column but admits other tenants' rows.</summary>
    FailsOpen,

    /// <summary>Never reads the tenant column: admits rows whatever their tenant.</summary>
    IgnoresTenant,

    /// <summary>A shape the audit cannot prove either way (a function it cannot see into, a sub-select, CASE).</summary>
    Unproven,
}

/// <summary>A verdict, with the shape that decided it, as the finding names it.</summary>
/// <param name="Kind">What the expression admits.</param>
/// <param name="Shape">The part of the expression that decided it, in words and SQL; empty for a safe verdict.</param>
internal sealed record PolicyVerdict(PolicyVerdictKind Kind, string Shape = "")
{
    public static readonly PolicyVerdict Deny = new(PolicyVerdictKind.Denies);

    /// <summary>No row of another tenant gets through, for the side and command judged.</summary>
    /// <param name="sharedAllowed">NULL-tenant rows may be admitted (SELECT's USING: the shared-rows feature).</param>
    public bool IsSafe(bool sharedAllowed) => Kind switch
    {
        PolicyVerdictKind.Denies or PolicyVerdictKind.Isolates => true,
        PolicyVerdictKind.Shared or PolicyVerdictKind.IsolatesWithShared => sharedAllowed,
        _ => false,
    };

    /// <summary>The conjunction: a row must satisfy every term, so the strictest term decides.</summary>
    public static PolicyVerdict All(IReadOnlyList<PolicyVerdict> terms)
    {
        if (terms.Count == 0)
        {
            return new(PolicyVerdictKind.AlwaysTrue, "true");
        }

        foreach (var kind in new[]
        {
            PolicyVerdictKind.Denies, PolicyVerdictKind.Isolates, PolicyVerdictKind.EmptySettingIsATenant, PolicyVerdictKind.Shared,
            PolicyVerdictKind.IsolatesWithShared, PolicyVerdictKind.Unproven, PolicyVerdictKind.FailsOpen, PolicyVerdictKind.IgnoresTenant,
        })
        {
            if (terms.FirstOrDefault(t => t.Kind == kind) is { } decisive)
            {
                return decisive;
            }
        }

        return terms[0];
    }

    /// <summary>The disjunction: a row may satisfy any term, so the widest term decides.</summary>
    public static PolicyVerdict Any(IReadOnlyList<PolicyVerdict> terms)
    {
        var live = terms.Where(t => t.Kind != PolicyVerdictKind.Denies).ToList();
        if (live.Count == 0)
        {
            return Deny;
        }

        if (live.FirstOrDefault(t => t.Kind is PolicyVerdictKind.AlwaysTrue or PolicyVerdictKind.FailsOpen) is { } open)
        {
            return open;
        }

        if (live.FirstOrDefault(t => t.Kind == PolicyVerdictKind.IgnoresTenant) is { } ignoring)
        {
            return live.All(t => t.Kind == PolicyVerdictKind.IgnoresTenant)
                ? ignoring
                : new(PolicyVerdictKind.FailsOpen, $"an OR branch that does not read the tenant column ({ignoring.Shape})");
        }

        if (live.FirstOrDefault(t => t.Kind == PolicyVerdictKind.Unproven) is { } unproven)
        {
            return unproven;
        }

        if (live.FirstOrDefault(t => t.Kind == PolicyVerdictKind.EmptySettingIsATenant) is { } empty)
        {
            return empty;
        }

        var isolates = live.Any(t => t.Kind is PolicyVerdictKind.Isolates or PolicyVerdictKind.IsolatesWithShared);
        var shared = live.FirstOrDefault(t => t.Kind is PolicyVerdictKind.Shared or PolicyVerdictKind.IsolatesWithShared);
        return shared is null ? live[0]
            : isolates ? new(PolicyVerdictKind.IsolatesWithShared, shared.Shape)
            : shared;
    }
}
