namespace DapperTenants;

/// <summary>The base of every exception DapperTenants throws on its own account.</summary>
/// <remarks>PostgreSQL errors are never wrapped: a <see cref="Npgsql.PostgresException"/> keeps its <c>SqlState</c>.</remarks>
public class TenantIsolationException : Exception
{
    /// <summary>Creates the exception with no message.</summary>
    public TenantIsolationException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened and how to fix it.</param>
    public TenantIsolationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What happened and how to fix it.</param>
    /// <param name="innerException">The cause.</param>
    public TenantIsolationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
