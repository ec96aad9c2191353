namespace DapperTenants.Testing;

/// <summary>
/// <see cref="TenantSchemaVerifier.AssertVerified()"/> found problems: the message lists every finding with its code
/// and fix, and <see cref="Report"/> holds them all. Test frameworks (NUnit, xUnit, MSTest) report it as a failed
/// test like any other exception.
/// </summary>
public sealed class SchemaVerificationException : Exception
{
    /// <summary>Creates the exception with a generic message and no report.</summary>
    public SchemaVerificationException()
        : base("The tenant schema verification failed.")
    {
    }

    /// <summary>Creates the exception with a message and no report.</summary>
    /// <param name="message">What failed.</param>
    public SchemaVerificationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message, an inner exception and no report.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public SchemaVerificationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a report that did not pass; the message is the report's text.</summary>
    /// <param name="report">The report.</param>
    public SchemaVerificationException(SchemaVerificationReport report)
        : base((report ?? throw new ArgumentNullException(nameof(report))).ToString())
    {
        Report = report;
    }

    /// <summary>The full report, or <see langword="null"/> when the exception was created without one.</summary>
    public SchemaVerificationReport? Report { get; }
}
