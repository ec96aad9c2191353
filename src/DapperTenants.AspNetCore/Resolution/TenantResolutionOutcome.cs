namespace DapperTenants.AspNetCore.Resolution;

internal enum TenantResolutionOutcome
{
    /// <summary>No strategy found a tenant.</summary>
    Missing,

    /// <summary>One tenant, accepted by the data source's rules.</summary>
    Resolved,

    /// <summary>A value the data source would refuse, or a request value given several times: 400.</summary>
    Invalid,

    /// <summary>A request value that is not one of the signed-in user's tenants: 403.</summary>
    Conflict,
}
