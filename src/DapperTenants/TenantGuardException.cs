namespace DapperTenants;

/// <summary>The guard refused a statement before it was sent: it writes a tenant value other than the connection's tenant, or it would tamper with the tenant context.</summary>
public sealed class TenantGuardException : TenantIsolationException
{
    /// <summary>Creates the exception with no message.</summary>
    public TenantGuardException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened and how to fix it.</param>
    public TenantGuardException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What happened and how to fix it.</param>
    /// <param name="innerException">The cause.</param>
    public TenantGuardException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
