namespace DapperTenants.Testing;

/// <summary>
/// A policy assertion of <see cref="PolicyTransaction"/> did not hold: the message says what was expected, what
/// happened, as which tenant, for which statement, and where to look. Test frameworks (NUnit, xUnit, MSTest) report
/// it as a failed test like any other exception.
/// </summary>
/// <remarks>
/// When the statement failed with a PostgreSQL error, that <see cref="Npgsql.PostgresException"/> (with its
/// <c>SqlState</c>) is the <see cref="Exception.InnerException"/>.
/// </remarks>
public sealed class PolicyAssertionException : Exception
{
    /// <summary>Creates the exception with a generic message.</summary>
    public PolicyAssertionException()
        : base("A row-level security policy assertion did not hold.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was expected and what happened.</param>
    public PolicyAssertionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the error that made the assertion fail.</summary>
    /// <param name="message">What was expected and what happened.</param>
    /// <param name="innerException">The error the statement raised.</param>
    public PolicyAssertionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
