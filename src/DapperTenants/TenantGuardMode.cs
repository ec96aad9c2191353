namespace DapperTenants;

/// <summary>What the guard does with a statement that writes another tenant's value or tampers with the tenant context.</summary>
public enum TenantGuardMode
{
    /// <summary>The default: throw <see cref="TenantGuardException"/> before the statement is sent.</summary>
    Throw = 0,

    /// <summary>
    /// Do not analyze statements. The database's policies still decide; this only removes the early, readable error.
    /// </summary>
    Off = 1,
}
