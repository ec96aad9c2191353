namespace DapperTenants;

/// <summary>One or more <see cref="RlsAttribute"/> types cannot be turned into policies. The message lists every problem at once.</summary>
public sealed class RlsModelException : TenantIsolationException
{
    /// <summary>Creates the exception with no message.</summary>
    public RlsModelException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened and how to fix it.</param>
    public RlsModelException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What happened and how to fix it.</param>
    /// <param name="innerException">The cause.</param>
    public RlsModelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
