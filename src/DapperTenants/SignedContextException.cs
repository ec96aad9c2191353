namespace DapperTenants;

/// <summary>
/// The signed tenant context cannot work on this database: a token the data source signed does not verify there, so
/// every tenant would silently see no rows. Thrown by the first open of a data source with a <see cref="TenantOptions.SigningKey"/>.
/// </summary>
public sealed class SignedContextException : TenantIsolationException
{
    /// <summary>Creates the exception with no message.</summary>
    public SignedContextException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened and how to fix it.</param>
    public SignedContextException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What happened and how to fix it.</param>
    /// <param name="innerException">The cause.</param>
    public SignedContextException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal SignedContextException(string message, SignedContextProblem problem)
        : base(message)
    {
        Problem = problem;
    }

    /// <summary>What is wrong, for code that reacts to it (a health check); the message says it for humans, with the fix.</summary>
    public SignedContextProblem Problem { get; }
}
