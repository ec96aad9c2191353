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
        var plan = Plan();
        if (!plan.Batch)
        {
            return _inner.ExecuteNonQuery();
        }

        var (batch, caller) = CreateBatch(plan);
        using (batch)
        {
            using var reader = batch.ExecuteReader();
            Prelude(reader, plan);
            while (reader.NextResult())
            {
            }

            return caller.RecordsAffected;
        }
    }

    public override async Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken)
    {
        var plan = await PlanAsync(cancellationToken).ConfigureAwait(false);
        if (!plan.Batch)
        {
            return await _inner.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var (batch, caller) = CreateBatch(plan);
        await using (batch.ConfigureAwait(false))
        {
            var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await PreludeAsync(reader, plan, cancellationToken).ConfigureAwait(false);
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
        var plan = Plan();
        if (!plan.Batch)
        {
            return _inner.ExecuteReader(behavior);
        }

        // Single-result behaviours would stop Npgsql after the log row's result; the caller still reads only what it asked for.
        var (batch, _) = CreateBatch(plan);
        var reader = batch.ExecuteReader(behavior & ~SingleBehaviors);
        try
        {
            Prelude(reader, plan);
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
        var plan = await PlanAsync(cancellationToken).ConfigureAwait(false);
        if (!plan.Batch)
        {
            return await _inner.ExecuteReaderAsync(behavior, cancellationToken).ConfigureAwait(false);
        }

        var (batch, _) = CreateBatch(plan);
        var reader = await batch.ExecuteReaderAsync(behavior & ~SingleBehaviors, cancellationToken).ConfigureAwait(false);
        try
        {
            await PreludeAsync(reader, plan, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// What this execution carries: the session's log row (its first statement, outside a transaction) and a write-log
    /// row (every statement that may write, in a write-allowed session). What the batch cannot carry goes first, in a
    /// round trip of its own: the session's log row, or the write-log row (which authorizes only a write in the same
    /// transaction, so a text that writes outside a transaction and cannot be batched is refused by the policies).
    /// </summary>
    private ExecutionPlan Plan()
    {
        var (session, write, batchable) = Decide();
        if (!session && !_connection.IsLogged)
        {
            _connection.Log();
        }

        if (write && !batchable)
        {
            _connection.LogWrite(LoggedText, _inner.Transaction);
            write = false;
        }

        return new ExecutionPlan(session, write);
    }

    private async ValueTask<ExecutionPlan> PlanAsync(CancellationToken cancellationToken)
    {
        var (session, write, batchable) = Decide();
        if (!session && !_connection.IsLogged)
        {
            await _connection.LogAsync(cancellationToken).ConfigureAwait(false);
        }

        if (write && !batchable)
        {
            await _connection.LogWriteAsync(LoggedText, _inner.Transaction, cancellationToken).ConfigureAwait(false);
            write = false;
        }

        return new ExecutionPlan(session, write);
    }

    private (bool Session, bool Write, bool Batchable) Decide()
    {
        // A batch command holds one plain statement; an error barrier (after the session's log row) would end a transaction.
        var batchable = CommandType == CommandType.Text
            && SqlTextShape.Of(SqlLexer.Tokenize(CommandText)).StatementCount == 1
            && !_inner.Parameters.Any(p => p.Direction != ParameterDirection.Input);
        var session = !_connection.IsLogged && batchable && _inner.Transaction is null;
        var write = _connection.AllowWrites && (CommandType != CommandType.Text || SupportWrites.MayWrite(CommandText));
        return (session, write, batchable);
    }

    /// <summary>The statement as the write log records it: the text the client sent (a procedure's name for a stored procedure call).</summary>
    private string LoggedText => CommandType == CommandType.Text ? CommandText : $"{CommandType}: {CommandText}";

    private (NpgsqlBatch Batch, NpgsqlBatchCommand Caller) CreateBatch(ExecutionPlan plan)
    {
        var batch = new NpgsqlBatch(_connection.Inner) { Timeout = CommandTimeout, Transaction = _inner.Transaction };
        if (plan.Session)
        {
            var log = _connection.CreateLogStatement();
            log.AppendErrorBarrier = true;
            batch.BatchCommands.Add(log);
        }

        if (plan.Write)
        {
            // No barrier: the write-log row and the statement share one transaction, which is what the policies check.
            batch.BatchCommands.Add(SupportConnection.CreateWriteLogStatement(LoggedText));
        }

        var caller = new NpgsqlBatchCommand(CommandText);
        foreach (NpgsqlParameter parameter in _inner.Parameters)
        {
            caller.Parameters.Add(parameter.Clone());
        }

        batch.BatchCommands.Add(caller);
        return (batch, caller);
    }

    /// <summary>Reads the log rows' results (the session's id, if logged here) and moves the reader to the caller's.</summary>
    private void Prelude(NpgsqlDataReader reader, ExecutionPlan plan)
    {
        if (plan.Session)
        {
            reader.Read();
            _connection.MarkLogged(reader.GetInt64(0));
            reader.NextResult();
        }

        if (plan.Write)
        {
            reader.NextResult();
        }
    }

    private async Task PreludeAsync(NpgsqlDataReader reader, ExecutionPlan plan, CancellationToken cancellationToken)
    {
        if (plan.Session)
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            _connection.MarkLogged(reader.GetInt64(0));
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }

        if (plan.Write)
        {
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private readonly record struct ExecutionPlan(bool Session, bool Write)
    {
        public bool Batch => Session || Write;
    }
}
