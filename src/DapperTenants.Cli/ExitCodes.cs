namespace DapperTenants.Cli;

/// <summary>The process exit codes every command uses.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked and found nothing wrong.</summary>
    public const int Success = 0;

    /// <summary>The command failed (every command but audit, see <see cref="AuditFailed"/>), or found drift (plan) or error-severity findings (audit).</summary>
    public const int Failure = 1;

    /// <summary>The command line was wrong: unknown command or option, missing or invalid value.</summary>
    public const int Usage = 2;

    /// <summary>
    /// The audit could not finish (timeout, connection, authentication, permission, cancelled): it has no verdict,
    /// unlike <see cref="Failure"/>, which the audit returns for error-severity findings.
    /// </summary>
    public const int AuditFailed = 3;

    /// <summary>
    /// The tenant registry refused the change: <c>tenants create</c> of a tenant it already holds, <c>tenants disable</c> or
    /// <c>enable</c> of a tenant it does not hold or that is purged. Nothing changed; the message says which.
    /// </summary>
    public const int TenantRefused = 4;
}
