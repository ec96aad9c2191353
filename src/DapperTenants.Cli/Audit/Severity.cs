namespace DapperTenants.Cli.Audit;

/// <summary>How much a finding matters. Any <see cref="Error"/> makes <c>audit</c> exit 1.</summary>
internal enum Severity
{
    /// <summary>Tenant rows can leak or be written across tenants, or isolation is not enforced at all.</summary>
    Error = 0,

    /// <summary>Isolation holds today but is fragile, slow, or leaks through a side channel.</summary>
    Warning = 1,

    /// <summary>Context: what the audit could not check and why.</summary>
    Info = 2,
}
