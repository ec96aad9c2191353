using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using DapperTenants.Cli.Commands;
using Npgsql;

namespace DapperTenants.Cli.Audit;

/// <summary>
/// Why an audit could not finish (exit <see cref="ExitCodes.AuditFailed"/>), as opposed to one that finished and found
/// errors (exit 1): the kind of failure, PostgreSQL's message and SQLSTATE, and what to do about it.
/// </summary>
/// <param name="Kind">One of <c>timeout</c>, <c>connection</c>, <c>authentication</c>, <c>permission</c>, <c>cancelled</c>, <c>other</c>.</param>
/// <param name="Message">The failure in one line, as PostgreSQL or Npgsql said it.</param>
/// <param name="SqlState">The SQLSTATE when the server answered with an error; otherwise <see langword="null"/>.</param>
/// <param name="Fix">What to change to make the audit run.</param>
internal sealed record AuditFailure(string Kind, string Message, string? SqlState, string Fix)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Classifies what the audit threw.</summary>
    public static AuditFailure From(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var postgres = Chain(exception).OfType<PostgresException>().FirstOrDefault();

        // The server's own words, without Npgsql's note that it redacted the detail.
        var message = postgres is null ? CommandRunner.Describe(exception) : $"{postgres.SqlState}: {postgres.MessageText}";
        var state = postgres?.SqlState;
        if (exception is OperationCanceledException && Chain(exception).OfType<TimeoutException>().FirstOrDefault() is null)
        {
            return new AuditFailure("cancelled", "The audit was cancelled before it finished.", state, "Run it again and let it finish.");
        }

        if (Chain(exception).Any(e => e is TimeoutException) || state is PostgresErrorCodes.QueryCanceled)
        {
            return new AuditFailure("timeout", message, state,
                "Give the catalog reads more time: raise 'Command Timeout' in --connection (seconds, 0 for no limit; the audit's default is "
                + $"{(int)Auditor.DefaultCommandTimeout.TotalSeconds} s) and lift any statement_timeout set for this login or database "
                + "(add 'Options=-c statement_timeout=0' to --connection, or ALTER ROLE ... RESET statement_timeout).");
        }

        if (state is { } code && code.StartsWith("28", StringComparison.Ordinal))
        {
            return new AuditFailure("authentication", message, state,
                "Check the user name and password in --connection, and the server's pg_hba.conf entry for this host, user and database.");
        }

        if (state is PostgresErrorCodes.InsufficientPrivilege)
        {
            return new AuditFailure("permission", message, state,
                "Connect as a login that may connect to the database and read the catalog: the tables' owner or a superuser sees the most "
                + "(GRANT CONNECT ON DATABASE <db> TO <login> when connecting is what was refused).");
        }

        if (state is { } connectionState && (connectionState.StartsWith("08", StringComparison.Ordinal) || connectionState.StartsWith("57P", StringComparison.Ordinal)
            || connectionState is PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.TooManyConnections))
        {
            return new AuditFailure("connection", message, state,
                "Check the host, port and database in --connection, and that the server is running and accepting connections.");
        }

        if (postgres is null && Chain(exception).Any(e => e is NpgsqlException or SocketException))
        {
            return new AuditFailure("connection", message, state,
                "Check the host and port in --connection, that the server is running, and that it listens there (listen_addresses, port, a firewall).");
        }

        return new AuditFailure("other", message, state, $"Run again with {CliOptions.VerboseName} for the full exception.");
    }

    /// <summary>The failure as JSON: <c>{"schemaVersion": 1, "error": {"kind", "message", "sqlState", "fix"}}</c>.</summary>
    public string ToJson() =>
        JsonSerializer.Serialize(new JsonFailure(AuditJson.SchemaVersion, new JsonError(Kind, Message, SqlState, Fix)), JsonOptions);

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Chain))
                {
                    yield return inner;
                }
            }
        }
    }

    private sealed record JsonFailure(
        [property: JsonPropertyName("schemaVersion")] int SchemaVersion,
        [property: JsonPropertyName("error")] JsonError Error);

    private sealed record JsonError(
        [property: JsonPropertyName("kind")] string Kind,
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("sqlState")] string? SqlState,
        [property: JsonPropertyName("fix")] string Fix);
}
