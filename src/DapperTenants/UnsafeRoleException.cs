namespace DapperTenants;

/// <summary>The login of a tenant data source is a superuser or has <c>BYPASSRLS</c>, so Row-Level Security would not apply to it.</summary>
public sealed class UnsafeRoleException : TenantIsolationException
{
    /// <summary>Creates the exception with no message.</summary>
    public UnsafeRoleException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened and how to fix it.</param>
    public UnsafeRoleException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What happened and how to fix it.</param>
    /// <param name="innerException">The cause.</param>
    public UnsafeRoleException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
