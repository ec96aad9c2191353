namespace DapperTenants;

/// <summary>One page of <see cref="TenantRegistry.ListAsync"/>: tenants in ordinal order of their values.</summary>
public sealed class TenantPage
{
    internal TenantPage(IReadOnlyList<TenantInfo> tenants, string? next)
    {
        Tenants = tenants;
        Next = next;
    }

    /// <summary>The tenants of this page, ordered by the bytes of their values (the same order whatever the database's collation).</summary>
    public IReadOnlyList<TenantInfo> Tenants { get; }

    /// <summary>What to pass as <c>after</c> for the next page; <see langword="null"/> on the last page.</summary>
    public string? Next { get; }
}
