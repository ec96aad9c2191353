using System.CommandLine;
using System.Reflection;
using Npgsql;

namespace DapperTenants.Cli.Commands;

/// <summary>Runs a command body and turns any failure into one line on standard error and exit code 1.</summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(CliContext context, ParseResult parseResult, Func<CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await context.Error.WriteLineAsync("error: cancelled.").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (Exception ex)
        {
            await context.Error.WriteLineAsync("error: " + Describe(ex)).ConfigureAwait(false);
            if (parseResult.GetValue<bool>(CliOptions.VerboseName) && ex is not CliException)
            {
                await context.Error.WriteLineAsync(ex.ToString()).ConfigureAwait(false);
            }

            return ExitCodes.Failure;
        }
    }

    /// <summary>One line that says what failed: the innermost useful message, with its type when it is not self-explanatory.</summary>
    internal static string Describe(Exception ex)
    {
        while (ex is AggregateException { InnerExceptions.Count: 1 } or TargetInvocationException && ex.InnerException is not null)
        {
            ex = ex.InnerException!;
        }

        var message = OneLine(ex.Message);
        return ex switch
        {
            CliException or TenantIsolationException or PostgresException or ArgumentException => message,
            NpgsqlException { InnerException: { } inner } => message + " " + OneLine(inner.Message),
            NpgsqlException => message,
            _ => $"{message} ({ex.GetType().Name})",
        };
    }

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
