namespace DapperTenants;

/// <summary>The tenants a support session may see: a list of tenants, or explicitly all of them.</summary>
/// <remarks>The scope is written to the access log with the session, and the support policies admit exactly it.</remarks>
public sealed class SupportScope
{
    private SupportScope(bool allTenants, IReadOnlyList<string> tenants)
    {
        IsAllTenants = allTenants;
        Tenants = tenants;
    }

    /// <summary>Every tenant, present and future; logged as such. Prefer <see cref="Of"/> with the tenants the task needs.</summary>
    public static SupportScope AllTenants { get; } = new(true, []);

    /// <summary>Whether the scope is every tenant.</summary>
    public bool IsAllTenants { get; }

    /// <summary>The tenants of the scope, in the order given, without duplicates; empty for <see cref="AllTenants"/>.</summary>
    public IReadOnlyList<string> Tenants { get; }

    /// <summary>A scope of the given tenants only.</summary>
    /// <param name="tenants">One or more tenant values, validated as <see cref="TenantDataSource.Open"/> validates them.</param>
    /// <returns>The scope.</returns>
    /// <exception cref="ArgumentException">No tenant is given, or a tenant value is invalid.</exception>
    public static SupportScope Of(params string[] tenants)
    {
        ArgumentNullException.ThrowIfNull(tenants);
        if (tenants.Length == 0)
        {
            throw new ArgumentException("A support scope needs at least one tenant. Name the tenants the task needs, or use SupportScope.AllTenants explicitly.", nameof(tenants));
        }

        foreach (var tenant in tenants)
        {
            TenantDataSource.ValidateTenant(tenant, TenantOptions.DefaultMaxTenantLength);
        }

        return new SupportScope(false, [.. tenants.Distinct(StringComparer.Ordinal)]);
    }

    /// <summary>The scope as the access log and the CLI show it.</summary>
    /// <returns><c>all tenants</c>, or the tenants separated by commas.</returns>
    public override string ToString() => IsAllTenants ? "all tenants" : string.Join(", ", Tenants);
}
