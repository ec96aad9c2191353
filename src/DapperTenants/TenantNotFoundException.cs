namespace DapperTenants;

/// <summary>
/// The tenant is not in the tenant registry, or not active there: thrown by <see cref="TenantDataSource.Open"/> with
/// <see cref="TenantOptions.RequireRegisteredTenant"/> before any statement runs for it, and by <see cref="TenantRegistry"/>
/// for a tenant it does not hold.
/// </summary>
public sealed class TenantNotFoundException : TenantIsolationException
{
    /// <summary>Creates the exception with no message.</summary>
    public TenantNotFoundException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened and how to fix it.</param>
    public TenantNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What happened and how to fix it.</param>
    /// <param name="innerException">The cause.</param>
    public TenantNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal TenantNotFoundException(string message, string tenant, TenantState? state)
        : base(message)
    {
        Tenant = tenant;
        State = state;
    }

    /// <summary>The tenant value that was refused; <see langword="null"/> when the exception was created without one.</summary>
    public string? Tenant { get; }

    /// <summary>The tenant's state in the registry: <see langword="null"/> when it is not registered at all, else disabled or purged.</summary>
    public TenantState? State { get; }
}
