using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using DapperTenants.Catalog;

using Npgsql;
using NpgsqlTypes;

namespace DapperTenants;

/// <summary>
/// An open support connection: its first statement writes the access log row (in the same round trip), after which
/// the database shows it the rows of its logged scope. Use it with Dapper as any <see cref="DbConnection"/>.
/// </summary>
/// <remarks>
/// <para>
/// Get one from <see cref="SupportDataSource.Open"/>. Writes are refused by the policies unless the session was opened
/// with <c>allowWrites: true</c>, which the log row records; then every statement that may write carries a row of the
/// write log (its text) in the same round trip and transaction, and the policies refuse a write of a transaction without one.
/// </para>
/// <para>
/// A text of several statements, a stored procedure call, or a transaction begun before the first statement, writes the
/// log row in a round trip of its own first. Closing or disposing the connection ends the session: the pool resets the
/// server session, whose next user sees nothing until it logs a session of its own.
/// </para>
/// </remarks>
public sealed class SupportConnection : DbConnection
{
    private readonly NpgsqlConnection _inner;

    internal SupportConnection(NpgsqlConnection inner, string actor, string reason, SupportScope scope, bool allowWrites)
    {
        _inner = inner;
        Actor = actor;
        Reason = reason;
        Scope = scope;
        AllowWrites = allowWrites;
    }

    /// <summary>Who works, as logged.</summary>
    public string Actor { get; }

    /// <summary>Why, as logged.</summary>
    public string Reason { get; }

    /// <summary>The tenants the session may see.</summary>
    public SupportScope Scope { get; }

    /// <summary>Whether the session may write; <see langword="false"/> unless asked for.</summary>
    public bool AllowWrites { get; }

    /// <summary>The id of the access log row of the current session, once written; <see langword="null"/> before the first statement.</summary>
    public long? LogId { get; private set; }

    internal NpgsqlConnection Inner => _inner;

    internal bool IsLogged => LogId is not null;

    /// <summary>Writes the access log row now, in a round trip of its own, unless this session has one.</summary>
    /// <returns>The id of the log row.</returns>
    public long Log()
    {
        if (LogId is { } id)
        {
            return id;
        }

        using var command = new NpgsqlCommand(null, _inner);
        var log = CreateLogStatement();
        command.CommandText = log.CommandText;
        foreach (NpgsqlParameter p in log.Parameters)
        {
            command.Parameters.Add(p.Clone());
        }

        return MarkLogged((long)command.ExecuteScalar()!);
    }

    /// <summary>Writes the access log row now, in a round trip of its own, unless this session has one.</summary>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns>The id of the log row.</returns>
    public async Task<long> LogAsync(CancellationToken cancellationToken = default)
    {
        if (LogId is { } id)
        {
            return id;
        }

        var command = new NpgsqlCommand(null, _inner);
        await using (command.ConfigureAwait(false))
        {
            var log = CreateLogStatement();
            command.CommandText = log.CommandText;
            foreach (NpgsqlParameter p in log.Parameters)
            {
                command.Parameters.Add(p.Clone());
            }

            return MarkLogged((long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!);
        }
    }

    /// <summary>The statement that writes the log row, with a fresh secret token (the log keeps only its SHA-256).</summary>
    internal NpgsqlBatchCommand CreateLogStatement()
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        return new NpgsqlBatchCommand($"SELECT \"{SupportNames.Schema}\".\"{SupportNames.BeginFunction}\"($1, $2, $3, $4, $5, $6)")
        {
            Parameters =
            {
                new NpgsqlParameter<string> { TypedValue = Actor, NpgsqlDbType = NpgsqlDbType.Text },
                new NpgsqlParameter<string> { TypedValue = Reason, NpgsqlDbType = NpgsqlDbType.Text },
                new NpgsqlParameter<string[]> { TypedValue = [.. Scope.Tenants], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                new NpgsqlParameter<bool> { TypedValue = Scope.IsAllTenants, NpgsqlDbType = NpgsqlDbType.Boolean },
                new NpgsqlParameter<bool> { TypedValue = AllowWrites, NpgsqlDbType = NpgsqlDbType.Boolean },
                new NpgsqlParameter<string> { TypedValue = token, NpgsqlDbType = NpgsqlDbType.Text },
            },
        };
    }

    /// <summary>The statement that logs a write of this session in the current transaction (the policies check for it).</summary>
    internal static NpgsqlBatchCommand CreateWriteLogStatement(string statement) =>
        new($"SELECT \"{SupportNames.Schema}\".\"{SupportNames.WriteFunction}\"($1)")
        {
            Parameters = { new NpgsqlParameter<string> { TypedValue = statement, NpgsqlDbType = NpgsqlDbType.Text } },
        };

    /// <summary>Logs a write in a round trip of its own, in <paramref name="transaction"/> (it authorizes writes of that transaction only).</summary>
    internal void LogWrite(string statement, NpgsqlTransaction? transaction)
    {
        using var command = WriteLogCommand(statement, transaction);
        command.ExecuteNonQuery();
    }

    internal async Task LogWriteAsync(string statement, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var command = WriteLogCommand(statement, transaction);
        await using (command.ConfigureAwait(false))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private NpgsqlCommand WriteLogCommand(string statement, NpgsqlTransaction? transaction)
    {
        var log = CreateWriteLogStatement(statement);
        var command = new NpgsqlCommand(log.CommandText, _inner, transaction);
        foreach (NpgsqlParameter p in log.Parameters)
        {
            command.Parameters.Add(p.Clone());
        }

        return command;
    }

    internal long MarkLogged(long id)
    {
        LogId = id;
        return id;
    }

    private void Forget()
    {
        LogId = null;
    }

    /// <inheritdoc />
    [AllowNull]
    public override string ConnectionString
    {
        get => _inner.ConnectionString;
        set => throw new NotSupportedException("The connection string of a SupportConnection cannot be changed. Open it from a SupportDataSource for the other database.");
    }

    /// <inheritdoc />
    public override string Database => _inner.Database;

    /// <inheritdoc />
    public override string DataSource => _inner.DataSource;

    /// <inheritdoc />
    public override string ServerVersion => _inner.ServerVersion;

    /// <inheritdoc />
    public override ConnectionState State => _inner.State;

    /// <inheritdoc />
    /// <remarks>Always refused.</remarks>
    public override void ChangeDatabase(string databaseName) =>
        throw new NotSupportedException("A SupportConnection cannot change its database. Open one from a SupportDataSource for the other database.");

    /// <inheritdoc />
    /// <remarks>Reopening starts a new session: its first statement writes a new log row.</remarks>
    public override void Open()
    {
        Forget();
        _inner.Open();
    }

    /// <inheritdoc />
    public override Task OpenAsync(CancellationToken cancellationToken)
    {
        Forget();
        return _inner.OpenAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override void Close()
    {
        Forget();
        _inner.Close();
    }

    /// <inheritdoc />
    public override Task CloseAsync()
    {
        Forget();
        return _inner.CloseAsync();
    }

    /// <summary>Creates a command of this support session.</summary>
    /// <returns>A new command bound to this connection.</returns>
    public new DbCommand CreateCommand() => CreateDbCommand();

    /// <inheritdoc />
    protected override DbCommand CreateDbCommand() => new Connections.SupportCommand(this);

    /// <inheritdoc />
    /// <remarks>Writes the log row first, in a round trip of its own, when the session has none yet.</remarks>
    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel)
    {
        Log();
        return _inner.BeginTransaction(isolationLevel);
    }

    /// <inheritdoc />
    protected override async ValueTask<DbTransaction> BeginDbTransactionAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken)
    {
        await LogAsync(cancellationToken).ConfigureAwait(false);
        return await _inner.BeginTransactionAsync(isolationLevel, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Forget();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        Forget();
        await _inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }
}
