namespace DapperTenants;

/// <summary>How much an <see cref="AuditFinding"/> matters.</summary>
public enum AuditSeverity
{
    /// <summary>Tenant rows can leak or be written across tenants, or isolation is not enforced at all.</summary>
    Error = 0,

    /// <summary>Isolation holds today but is fragile, slow, or leaks through a side channel.</summary>
    Warning = 1,

    /// <summary>Context: what the audit could not check and why.</summary>
    Info = 2,
}
