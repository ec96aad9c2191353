namespace DapperTenants.Cli;

/// <summary>A failure the CLI explains in one line, without a stack trace even under <c>--verbose</c>.</summary>
internal sealed class CliException : Exception
{
    public CliException()
    {
    }

    public CliException(string message)
        : base(message)
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
