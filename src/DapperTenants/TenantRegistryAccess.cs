namespace DapperTenants;

/// <summary>What the application's login (the <see cref="PolicyInstaller.GrantTo"/> roles) may do with the tenant registry.</summary>
public enum TenantRegistryAccess
{
    /// <summary>Read it only: tenants are created, disabled and enabled by the owner, through <see cref="TenantRegistry"/>. The safe default.</summary>
    ReadOnly = 0,

    /// <summary>
    /// Read it, and register a tenant that is missing through a <c>SECURITY DEFINER</c> function that inserts a new, active
    /// tenant and never changes an existing one; what <see cref="TenantOptions.CreateIfMissing"/> needs.
    /// </summary>
    /// <remarks>
    /// Any SQL that runs as the app login may then register any tenant value (not read or write another tenant's rows:
    /// registering only admits a value to <see cref="TenantOptions.RequireRegisteredTenant"/>). Allow it only where
    /// the tenant value comes from an authenticated source.
    /// </remarks>
    CreateIfMissing = 1,
}
