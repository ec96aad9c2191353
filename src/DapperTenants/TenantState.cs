namespace DapperTenants;

/// <summary>The state of a tenant in the tenant registry.</summary>
public enum TenantState
{
    /// <summary>The tenant may open connections.</summary>
    Active = 0,

    /// <summary>An operator disabled the tenant: with <see cref="TenantOptions.RequireRegisteredTenant"/>, it opens no new connection. Its data is kept.</summary>
    Disabled = 1,

    /// <summary>The tenant's data was deleted; it opens no connection and its identifier is not reused.</summary>
    Purged = 2,

    /// <summary>
    /// <see cref="TenantRegistry.PurgeAsync"/> started deleting the tenant's data and has not finished (it was cancelled,
    /// or the process stopped): it opens no connection, cannot be enabled, and running the purge again finishes it.
    /// </summary>
    Purging = 3,
}
