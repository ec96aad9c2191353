namespace DapperTenants.AspNetCore.Resolution;

/// <summary>What the strategies made of a request.</summary>
internal readonly record struct TenantResolution(TenantResolutionOutcome Outcome, string? Tenant, string? Source, string? Problem)
{
    public static TenantResolution Missing { get; } = new(TenantResolutionOutcome.Missing, null, null, null);

    public static TenantResolution Resolved(string tenant, string source) => new(TenantResolutionOutcome.Resolved, tenant, source, null);

    public static TenantResolution Invalid(string source, string problem) => new(TenantResolutionOutcome.Invalid, null, source, problem);

    public static TenantResolution Conflict(string source) => new(TenantResolutionOutcome.Conflict, null, source, null);
}
