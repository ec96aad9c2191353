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

    internal TenantGuardException(string message, string statementKind, string? table, string? foundTenant, string connectionTenant)
        : base(message)
    {
        StatementKind = statementKind;
        Table = table;
        FoundTenant = foundTenant;
        ConnectionTenant = connectionTenant;
    }

    /// <summary>What the guard refused, such as <c>INSERT</c>, <c>UPDATE</c>, <c>SET</c> or <c>set_config</c>.</summary>
    /// <value><see langword="null"/> when the exception was not raised by the guard.</value>
    public string? StatementKind { get; }

    /// <summary>The protected table the statement writes or alters, schema-qualified (<c>public.orders</c>).</summary>
    /// <value><see langword="null"/> for statements that tamper with the tenant context rather than a table.</value>
    public string? Table { get; }

    /// <summary>The tenant value the statement writes, as the database would store it.</summary>
    /// <value><see langword="null"/> for statements that tamper with the tenant context.</value>
    public string? FoundTenant { get; }

    /// <summary>The tenant of the connection the statement was refused on.</summary>
    /// <value><see langword="null"/> when the exception was not raised by the guard.</value>
    public string? ConnectionTenant { get; }
}
