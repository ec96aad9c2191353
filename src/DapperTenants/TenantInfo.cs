namespace DapperTenants;

/// <summary>One tenant as the tenant registry holds it.</summary>
public sealed class TenantInfo
{
    internal TenantInfo(string tenant, TenantState state, DateTimeOffset createdAt, DateTimeOffset? disabledAt, string? disabledReason)
    {
        Tenant = tenant;
        State = state;
        CreatedAt = createdAt;
        DisabledAt = disabledAt;
        DisabledReason = disabledReason;
    }

    /// <summary>The tenant value, exactly as <see cref="TenantDataSource.Open"/> takes it.</summary>
    public string Tenant { get; }

    /// <summary>Whether the tenant may open connections.</summary>
    public TenantState State { get; }

    /// <summary>When the tenant was registered (UTC).</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>When the tenant was disabled (UTC); <see langword="null"/> while it is active.</summary>
    public DateTimeOffset? DisabledAt { get; }

    /// <summary>Why the tenant was disabled, as the operator wrote it; <see langword="null"/> while it is active.</summary>
    public string? DisabledReason { get; }

    /// <summary>The tenant and its state.</summary>
    /// <returns><c>acme (Active)</c>.</returns>
    public override string ToString() => $"{Tenant} ({State})";
}
