using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using DapperTenants.Guard;
using Npgsql;

namespace DapperTenants.Connections;

/// <summary>
/// A command of a <see cref="SupportConnection"/>: once the session is logged, the inner Npgsql command as it is; before,
/// one batch of <c>[log row, error barrier, the caller's statement]</c>, so the log row is committed before the
/// statement runs and both travel in one round trip.
/// </summary>
internal sealed class SupportCommand : DbCommand
{
    private const CommandBehavior SingleBehaviors = CommandBehavior.SingleResult | CommandBehavior.SingleRow;

    private readonly SupportConnection _connection;
    private readonly NpgsqlCommand _inner;

    public SupportCommand(SupportConnection connection)
    {
        _connection = connection;
        _inner = connection.Inner.CreateCommand();
    }

    [AllowNull]
    public override string CommandText
    {
        get => _inner.CommandText;
        set => _inner.CommandText = value;
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

    public override UpdateRowSource UpdatedRowSource
    {
        get => _inner.UpdatedRowSource;
        set => _inner.UpdatedRowSource = value;
    }

    public override bool DesignTimeVisible
    {
        get => _inner.DesignTimeVisible;
        set => _inner.DesignTimeVisible = value;
    }

    protected override DbConnection? DbConnection
    {
        get => _connection;
        set
        {
            if (value is not null && !ReferenceEquals(value, _connection))
            {
                throw new NotSupportedException("A support command stays on the SupportConnection that created it. Create the command on the other connection.");
            }
        }
    }

    protected override DbParameterCollection DbParameterCollection => _inner.Parameters;

    protected override DbTransaction? DbTransaction
    {
        get => _inner.Transaction;
        set => _inner.Transaction = value switch
        {
            null => null,
            NpgsqlTransaction npgsql => npgsql,
            _ => throw new ArgumentException("The transaction must come from this SupportConnection's BeginTransaction.", nameof(value)),
        };
    }

    public override void Cancel() => _inner.Cancel();

    public override void Prepare() => _inner.Prepare();

    protected override DbParameter CreateDbParameter() => _inner.CreateParameter();

    public override int ExecuteNonQuery()
    {
        if (!NeedsBatch())
        {
            return _inner.ExecuteNonQuery();
        }

        var (batch, caller) = CreateBatch();
        using (batch)
        {
            using var reader = batch.ExecuteReader();
            LoggedFrom(reader);
            while (reader.NextResult())
            {
            }

            return caller.RecordsAffected;
        }
    }

    public override async Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken)
    {
        if (!await NeedsBatchAsync(cancellationToken).ConfigureAwait(false))
        {
            return await _inner.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var (batch, caller) = CreateBatch();
        await using (batch.ConfigureAwait(false))
        {
            var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await LoggedFromAsync(reader, cancellationToken).ConfigureAwait(false);
                while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
                {
                }

                return caller.RecordsAffected;
            }
        }
    }

    public override object? ExecuteScalar()
    {
        using var reader = ExecuteDbDataReader(CommandBehavior.Default);
        return reader.Read() && reader.FieldCount > 0 ? reader.GetValue(0) : null;
    }

    public override async Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken)
    {
        var reader = await ExecuteDbDataReaderAsync(CommandBehavior.Default, cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && reader.FieldCount > 0 ? reader.GetValue(0) : null;
        }
    }

    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior)
    {
        if (!NeedsBatch())
        {
            return _inner.ExecuteReader(behavior);
        }

        // Single-result behaviours would stop Npgsql after the log row's result; the caller still reads only what it asked for.
        var (batch, _) = CreateBatch();
        var reader = batch.ExecuteReader(behavior & ~SingleBehaviors);
        try
        {
            LoggedFrom(reader);
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken)
    {
        if (!await NeedsBatchAsync(cancellationToken).ConfigureAwait(false))
        {
            return await _inner.ExecuteReaderAsync(behavior, cancellationToken).ConfigureAwait(false);
        }

        var (batch, _) = CreateBatch();
        var reader = await batch.ExecuteReaderAsync(behavior & ~SingleBehaviors, cancellationToken).ConfigureAwait(false);
        try
        {
            await LoggedFromAsync(reader, cancellationToken).ConfigureAwait(false);
            return reader;
        }
        catch
        {
            await reader.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Whether this execution must carry the log row; texts the batch cannot carry get it in a round trip of their own first.</summary>
    private bool NeedsBatch()
    {
        if (_connection.IsLogged)
        {
            return false;
        }

        if (CarriesLog())
        {
            return true;
        }

        _connection.Log();
        return false;
    }

    private async ValueTask<bool> NeedsBatchAsync(CancellationToken cancellationToken)
    {
        if (_connection.IsLogged)
        {
            return false;
        }

        if (CarriesLog())
        {
            return true;
        }

        await _connection.LogAsync(cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>One plain statement outside a transaction: a batch command holds one statement, and an error barrier would end a transaction.</summary>
    private bool CarriesLog() =>
        CommandType == CommandType.Text && _inner.Transaction is null
        && SqlTextShape.Of(SqlLexer.Tokenize(CommandText)).StatementCount == 1
        && !_inner.Parameters.Any(p => p.Direction != ParameterDirection.Input);

    private (NpgsqlBatch Batch, NpgsqlBatchCommand Caller) CreateBatch()
    {
        var log = _connection.CreateLogStatement();
        log.AppendErrorBarrier = true;
        var caller = new NpgsqlBatchCommand(CommandText);
        foreach (NpgsqlParameter parameter in _inner.Parameters)
        {
            caller.Parameters.Add(parameter.Clone());
        }

        var batch = new NpgsqlBatch(_connection.Inner) { Timeout = CommandTimeout, BatchCommands = { log, caller } };
        return (batch, caller);
    }

    /// <summary>Reads the log row's id from the first result and moves the reader to the caller's.</summary>
    private void LoggedFrom(NpgsqlDataReader reader)
    {
        reader.Read();
        _connection.MarkLogged(reader.GetInt64(0));
        reader.NextResult();
    }

    private async Task LoggedFromAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        _connection.MarkLogged(reader.GetInt64(0));
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
    }
}
