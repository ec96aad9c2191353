using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Npgsql;
using NpgsqlTypes;

namespace DapperTenants.Connections;

/// <summary>
/// A command of a <see cref="TenantConnection"/>. When the tenant setting must travel with it, the statement goes out
/// in the same round trip as <c>set_config(setting, tenant, …)</c>, and the reader the caller gets starts at the
/// caller's own result.
/// </summary>
internal sealed partial class TenantCommand : DbCommand
{
    private readonly NpgsqlCommand _inner;
    private TenantConnection? _connection;
    private bool _disposed;
    private TenantTransaction? _transaction;
    private string _commandText = string.Empty;

    // Present while an execution that carries the tenant is in flight; removed by Restore.
    private NpgsqlParameter? _contextParameter;
    private NpgsqlBatch? _batch;

    public TenantCommand(TenantConnection connection)
    {
        _connection = connection;

        // Npgsql keeps one disposed command per connection for reuse, as it does for its own CreateCommand callers.
        _inner = connection.InnerConnection.CreateCommand();
    }

    [AllowNull]
    public override string CommandText
    {
        get => _commandText;
        set => _commandText = value ?? string.Empty;
    }

    public override int CommandTimeout
    {
        get => _inner.CommandTimeout;
        set => _inner.CommandTimeout = value;
    }

    public override CommandType CommandType
    {
        get => _inner.CommandType;
        set => _inner.CommandType = value;
    }

    public override bool DesignTimeVisible
    {
        get => _inner.DesignTimeVisible;
        set => _inner.DesignTimeVisible = value;
    }

    public override UpdateRowSource UpdatedRowSource
    {
        get => _inner.UpdatedRowSource;
        set => _inner.UpdatedRowSource = value;
    }

    protected override DbConnection? DbConnection
    {
        get => _connection;
        set => _connection = value switch
        {
            null => null,
            TenantConnection tenantConnection => tenantConnection,
            _ => throw new ArgumentException(
                $"A command of a TenantConnection can only run on a TenantConnection, not on a {value.GetType().Name}. Create the command with TenantConnection.CreateCommand().",
                nameof(value)),
        };
    }

    protected override DbParameterCollection DbParameterCollection => _inner.Parameters;

    protected override DbTransaction? DbTransaction
    {
        get => _transaction;
        set => _transaction = value switch
        {
            null => null,
            TenantTransaction tenantTransaction => tenantTransaction,
            _ => throw new ArgumentException(
                $"A command of a TenantConnection needs a transaction begun on that TenantConnection, not a {value.GetType().Name}. Call BeginTransaction on the TenantConnection.",
                nameof(value)),
        };
    }

    public override void Cancel() => _inner.Cancel();

    protected override DbParameter CreateDbParameter() => _inner.CreateParameter();

    // Prepares the caller's statement on the physical connection. A later execution that must carry the tenant sends
    // the caller's text behind the context statement; Npgsql's auto-prepare (Max Auto Prepare) covers that form.
    public override void Prepare()
    {
        Bind();
        _inner.CommandText = _commandText;
        _inner.Prepare();
    }

    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior)
    {
        var connection = Bind();
        var mode = ChooseMode(connection);
        return mode == Mode.Plain ? FinishPlain(connection, _inner.ExecuteReader(behavior)) : Carry(mode, behavior);
    }

    // Not async itself, so that the common path allocates one state machine (CarryAsync's), not two; failures before
    // the execution still come back in the task, as from an async method.
    protected override Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken)
    {
        try
        {
            var connection = Bind();
            var mode = ChooseMode(connection);
            return mode == Mode.Plain ? PlainReaderAsync(connection, behavior, cancellationToken) : CarryAsync(mode, behavior, cancellationToken);
        }
        catch (Exception e)
        {
            return Task.FromException<DbDataReader>(e);
        }
    }

    private async Task<DbDataReader> PlainReaderAsync(TenantConnection connection, CommandBehavior behavior, CancellationToken cancellationToken) =>
        FinishPlain(connection, await _inner.ExecuteReaderAsync(behavior, cancellationToken).ConfigureAwait(false));

    public override int ExecuteNonQuery()
    {
        var connection = Bind();
        var mode = ChooseMode(connection);
        if (mode == Mode.Plain)
        {
            return FinishPlain(connection, _inner.ExecuteNonQuery());
        }

        using var reader = Carry(mode, CommandBehavior.Default);
        while (reader.NextResult())
        {
        }

        reader.Close();
        return reader.RecordsAffected;
    }

    public override async Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken)
    {
        var connection = Bind();
        var mode = ChooseMode(connection);
        if (mode == Mode.Plain)
        {
            return FinishPlain(connection, await _inner.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false));
        }

        var reader = await CarryAsync(mode, CommandBehavior.Default, cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
            {
            }

            await reader.CloseAsync().ConfigureAwait(false);
            return reader.RecordsAffected;
        }
    }

    public override object? ExecuteScalar()
    {
        var connection = Bind();
        var mode = ChooseMode(connection);
        if (mode == Mode.Plain)
        {
            return FinishPlain(connection, _inner.ExecuteScalar());
        }

        using var reader = Carry(mode, CommandBehavior.SingleResult | CommandBehavior.SingleRow);
        return reader.Read() && reader.FieldCount > 0 ? reader.GetValue(0) : null;
    }

    public override async Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken)
    {
        var connection = Bind();
        var mode = ChooseMode(connection);
        if (mode == Mode.Plain)
        {
            return FinishPlain(connection, await _inner.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
        }

        var reader = await CarryAsync(mode, CommandBehavior.SingleResult | CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && reader.FieldCount > 0 ? reader.GetValue(0) : null;
        }
    }

    /// <summary>Executes a command that carries the tenant and skips the context statement's result.</summary>
    private TenantDataReader Carry(Mode mode, CommandBehavior behavior)
    {
        NpgsqlDataReader? reader = null;
        try
        {
            reader = mode == Mode.Prefix ? _inner.ExecuteReader(Strip(behavior)) : _batch!.ExecuteReader(Strip(behavior));
            reader.NextResult();
            return new TenantDataReader(this, reader, behavior);
        }
        catch
        {
            reader?.Dispose();
            Restore(succeeded: false);
            throw;
        }
    }

    private async Task<DbDataReader> CarryAsync(Mode mode, CommandBehavior behavior, CancellationToken cancellationToken)
    {
        NpgsqlDataReader? reader = null;
        try
        {
            reader = mode == Mode.Prefix
                ? await _inner.ExecuteReaderAsync(Strip(behavior), cancellationToken).ConfigureAwait(false)
                : await _batch!.ExecuteReaderAsync(Strip(behavior), cancellationToken).ConfigureAwait(false);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            return new TenantDataReader(this, reader, behavior);
        }
        catch
        {
            if (reader is not null)
            {
                await reader.DisposeAsync().ConfigureAwait(false);
            }

            Restore(succeeded: false);
            throw;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _batch?.Dispose();
            _batch = null;

            // Hands the inner command back to its connection's cache: this command must not touch it again.
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Called by the reader when it closes, and on failure: puts the caller's parameters back.</summary>
    internal void Restore(bool succeeded)
    {
        if (_contextParameter is not null)
        {
            _inner.Parameters.Remove(_contextParameter);
            _contextParameter = null;
        }

        if (_batch is not null)
        {
            var moved = _batch.BatchCommands[1].Parameters.ToArray();
            _batch.BatchCommands[1].Parameters.Clear();
            foreach (var parameter in moved)
            {
                _inner.Parameters.Add(parameter);
            }

            _batch.Dispose();
            _batch = null;
        }

        if (succeeded)
        {
            _connection?.ContextSucceeded();
        }
    }

    private TenantConnection Bind()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = _connection ?? throw new InvalidOperationException("The command has no connection. Create it with TenantConnection.CreateCommand().");
        if (connection.State != ConnectionState.Open)
        {
            throw new InvalidOperationException($"The TenantConnection for tenant '{connection.Tenant}' is {connection.State}; open it before executing a command.");
        }

        if (_transaction is { IsCompleted: true })
        {
            throw new InvalidOperationException("The command's transaction has already been committed or rolled back. Begin a new transaction or clear Transaction.");
        }

        if (_contextParameter is not null || _batch is not null)
        {
            throw new InvalidOperationException("The command is still executing: close the data reader of its previous execution first.");
        }

        if (connection.Source.Guard is { } guard && connection.Source.Catalog is { } catalog)
        {
            guard.Check(_commandText, _inner.CommandType, _inner.Parameters, connection.Tenant, catalog);
        }

        _inner.Connection = connection.InnerConnection;
        _inner.Transaction = (_transaction ?? connection.ActiveTransaction)?.Inner;
        return connection;
    }

    private Mode ChooseMode(TenantConnection connection)
    {
        if (!connection.NeedsContext)
        {
            _inner.CommandText = _commandText;
            return Mode.Plain;
        }

        if (_inner.CommandType == CommandType.Text && !HasPositionalParameters())
        {
            _inner.CommandText = connection.Source.CarryingText(_commandText);
            _contextParameter = new NpgsqlParameter<string>(TenantDataSource.ContextParameterName, NpgsqlDbType.Text) { TypedValue = connection.Tenant };
            _inner.Parameters.Add(_contextParameter);
            return Mode.Prefix;
        }

        // Positional parameters and stored procedures cannot share a command text with another statement: send a
        // real batch and lend it the caller's parameters for the duration of the execution.
        var context = new NpgsqlBatchCommand(connection.Source.ContextSqlPositional);
        context.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = connection.Tenant });
        var statement = new NpgsqlBatchCommand(_commandText) { CommandType = _inner.CommandType };
        var parameters = _inner.Parameters.ToArray();
        _inner.Parameters.Clear();
        foreach (var parameter in parameters)
        {
            statement.Parameters.Add(parameter);
        }

        var batch = connection.InnerConnection.CreateBatch();
        batch.Transaction = _inner.Transaction;
        batch.Timeout = _inner.CommandTimeout;
        batch.BatchCommands.Add(context);
        batch.BatchCommands.Add(statement);
        _batch = batch;
        return Mode.Batch;
    }

    private T FinishPlain<T>(TenantConnection connection, T result)
    {
        // A rollback to a savepoint sent as SQL may undo the statement that set the tenant in this transaction.
        if (connection.ActiveTransaction is { } transaction && _commandText.Contains("rollback", StringComparison.OrdinalIgnoreCase))
        {
            transaction.ContextApplied = false;
        }

        return result;
    }

    private bool HasPositionalParameters()
    {
        var parameters = _inner.Parameters;
        for (var i = 0; i < parameters.Count; i++)
        {
            if (string.IsNullOrEmpty(parameters[i].ParameterName))
            {
                return true;
            }
        }

        return false;
    }

    // The first result is the context statement's: Dapper's SingleResult/SingleRow would otherwise apply to it
    // and hide the caller's rows. The reader emulates them on the caller's result instead.
    private static CommandBehavior Strip(CommandBehavior behavior) =>
        behavior & ~(CommandBehavior.SingleResult | CommandBehavior.SingleRow);

    private enum Mode
    {
        Plain,
        Prefix,
        Batch,
    }
}
