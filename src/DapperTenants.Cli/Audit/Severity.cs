namespace DapperTenants.Cli.Audit;

/// <summary>How much a finding matters, as the CLI counts it: the values of <see cref="AuditSeverity"/>. Any error makes <c>audit</c> exit 1.</summary>
internal enum Severity
{
    /// <summary><see cref="AuditSeverity.Error"/>.</summary>
    Error = AuditSeverity.Error,

    /// <summary><see cref="AuditSeverity.Warning"/>.</summary>
    Warning = AuditSeverity.Warning,

    /// <summary><see cref="AuditSeverity.Info"/>.</summary>
    Info = AuditSeverity.Info,
}
