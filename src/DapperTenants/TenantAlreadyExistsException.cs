namespace DapperTenants;

/// <summary><see cref="TenantRegistry.CreateAsync"/> was asked for a tenant the registry already holds, in any state.</summary>
public sealed class TenantAlreadyExistsException : TenantIsolationException
{
    /// <summary>Creates the exception with no message.</summary>
    public TenantAlreadyExistsException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened and how to fix it.</param>
    public TenantAlreadyExistsException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What happened and how to fix it.</param>
    /// <param name="innerException">The cause.</param>
    public TenantAlreadyExistsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal TenantAlreadyExistsException(string message, string tenant, TenantState state)
        : base(message)
    {
        Tenant = tenant;
        State = state;
    }

    /// <summary>The tenant value; <see langword="null"/> when the exception was created without one.</summary>
    public string? Tenant { get; }

    /// <summary>The state the registry holds the tenant in.</summary>
    public TenantState State { get; }
}
