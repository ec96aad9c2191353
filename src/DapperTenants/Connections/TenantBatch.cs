using System.Data;
using System.Data.Common;
using Npgsql;

namespace DapperTenants.Connections;

/// <summary>
/// A <see cref="DbBatch"/> of a <see cref="TenantConnection"/>: its commands go out as one <see cref="NpgsqlBatch"/>
/// behind the tenant context when the context must travel, in the same round trip, each checked by the guard first.
/// </summary>
/// <remarks>
/// Results, errors and records affected are Npgsql's: Npgsql fills each caller batch command's
/// <see cref="DbBatchCommand.RecordsAffected"/> and output parameters directly. The caller's batch commands are never
/// copied; executions borrow an <see cref="ExecutionKit"/> rented for this batch, as <see cref="TenantCommand"/> does.
/// </remarks>
internal sealed class TenantBatch : DbBatch, ITenantStatementOwner
{
    private readonly TenantBatchCommandCollection _commands = new();
    private TenantConnection? _connection;
    private TenantTransaction? _transaction;
    private int? _timeout;
    private bool _disposed;

    private ExecutionKit? _kit;
    private TenantExecution? _running;

    public TenantBatch(TenantConnection connection)
    {
        _connection = connection;
    }

    public override int Timeout
    {
        get => _timeout ?? _connection?.InnerConnection.CommandTimeout ?? 30;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _timeout = value;
        }
    }

    protected override DbBatchCommandCollection DbBatchCommands => _commands;

    protected override DbConnection? DbConnection
    {
        get => _connection;
        set => _connection = value switch
        {
            null => null,
            TenantConnection tenantConnection => tenantConnection,
            _ => throw new ArgumentException(
                $"A batch of a TenantConnection can only run on a TenantConnection, not on a {value.GetType().Name}. Create the batch with TenantConnection.CreateBatch().",
                nameof(value)),
        };
    }

    protected override DbTransaction? DbTransaction
    {
        get => _transaction;
        set => _transaction = value switch
        {
            null => null,
            TenantTransaction tenantTransaction => tenantTransaction,
            _ => throw new ArgumentException(
                $"A batch of a TenantConnection needs a transaction begun on that TenantConnection, not a {value.GetType().Name}. Call BeginTransaction on the TenantConnection.",
                nameof(value)),
        };
    }

    protected override DbBatchCommand CreateDbBatchCommand() => new NpgsqlBatchCommand();

    public override void Cancel() => _running?.Cancel();

    public override void Prepare() => Compose(forceContext: true).Batch.Prepare();

    public override Task PrepareAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return Compose(forceContext: true).Batch.PrepareAsync(cancellationToken);
        }
        catch (Exception e)
        {
            return Task.FromException(e);
        }
    }

    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior)
    {
        var execution = CreateExecution();
        return new TenantDataReader(execution, execution.Start(TenantCommand.ForServer(behavior, execution)), behavior);
    }

    protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken)
    {
        var execution = CreateExecution();
        var reader = await execution.StartAsync(TenantCommand.ForServer(behavior, execution), cancellationToken).ConfigureAwait(false);
        return new TenantDataReader(execution, reader, behavior);
    }

    public override int ExecuteNonQuery() => CreateExecution().NonQuery();

    public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return CreateExecution().NonQueryAsync(cancellationToken);
        }
        catch (Exception e)
        {
            return Task.FromException<int>(e);
        }
    }

    public override object? ExecuteScalar()
    {
        using var reader = ExecuteDbDataReader(CommandBehavior.SingleRow);
        return reader.Read() && reader.FieldCount > 0 ? reader.GetValue(0) : null;
    }

    public override async Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken = default)
    {
        var reader = await ExecuteDbDataReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && reader.FieldCount > 0 ? reader.GetValue(0) : null;
        }
    }

    void ITenantStatementOwner.Released(TenantExecution execution)
    {
        if (ReferenceEquals(_running, execution))
        {
            _running = null;
            if (_disposed)
            {
                ReturnKit();
            }
        }
    }

    public override void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (_running is null || _running.IsReleased)
            {
                _running = null;
                ReturnKit();
            }
        }

        base.Dispose();
    }

    private void ReturnKit()
    {
        if (_kit is { } kit)
        {
            _kit = null;
            kit.Pool.Return(kit);
        }
    }

    /// <summary>The kit of <paramref name="connection"/>'s data source (a command may move to a connection of another data source).</summary>
    private ExecutionKit Kit(TenantConnection connection)
    {
        var pool = connection.Source.Kits;
        if (_kit is { } kit)
        {
            if (ReferenceEquals(kit.Pool, pool))
            {
                return kit;
            }

            ReturnKit();
        }

        return _kit = pool.Rent();
    }

    private TenantExecution CreateExecution()
    {
        var (batch, carries, changesTransaction) = Compose(forceContext: false);
        var connection = _connection!;
        var execution = new TenantExecution(connection, connection.ActiveTransaction, batch, carries, changesTransaction, this);
        if (execution.CarriesContext)
        {
            Telemetry.DapperTenantsTelemetry.ContextStatementSent(connection.Source, connection.Tenant);
        }

        _running = execution;
        return execution;
    }

    /// <summary>Checks every command (state, guard), then fills in the batch kept for this one: <c>[context?, c1…cn]</c>.</summary>
    private (NpgsqlBatch Batch, bool Carries, bool ChangesTransaction) Compose(bool forceContext)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_running is { } running)
        {
            if (!running.IsOver)
            {
                throw new InvalidOperationException("An open data reader exists for this batch.");
            }

            // Closed but not disposed: that reader's Dispose may still reach the kit; take a fresh one.
            if (!running.IsReleased)
            {
                _kit = null;
            }

            _running = null;
        }

        var connection = _connection ?? throw new InvalidOperationException("The batch has no connection. Create it with TenantConnection.CreateBatch().");
        if (connection.State != ConnectionState.Open)
        {
            throw new InvalidOperationException($"The TenantConnection for tenant '{connection.Tenant}' is {connection.State}; open it before executing a batch.");
        }

        if (_transaction is { IsCompleted: true })
        {
            throw new InvalidOperationException("The batch's transaction has already been committed or rolled back. Begin a new transaction or clear Transaction.");
        }

        var items = _commands.Items;
        var changesTransaction = false;
        var leadsWithEnd = false;
        for (var i = 0; i < items.Count; i++)
        {
            var text = connection.Check(items[i]);
            changesTransaction |= text.ChangesTransaction;
            leadsWithEnd |= i == 0 && text.LeadsWithTransactionEnd;
        }

        var transaction = connection.ActiveTransaction;
        var carries = items.Count > 0 && (forceContext || (connection.Context.IsNeeded(transaction) && !leadsWithEnd));
        var kit = Kit(connection);
        var batch = kit.Batch;
        batch.Connection = connection.InnerConnection;
        batch.Transaction = transaction?.Inner;
        batch.Timeout = Timeout;
        var sent = batch.BatchCommands;
        sent.Clear();
        if (carries)
        {
            connection.Context.Bind(kit.Context);
            sent.Add(kit.Context);
        }

        foreach (var command in items)
        {
            sent.Add(command);
        }

        return (batch, carries, changesTransaction);
    }
}
