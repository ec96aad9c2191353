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

    private KitLease _kit;
    private TenantExecution? _running;
    private (Npgsql.NpgsqlConnection Connection, int ProcessId)? _preparedOn;

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

    public override void Prepare()
    {
        Compose(forceContext: true).Batch.Prepare();
        _preparedOn = Backend(_connection!);
    }

    public override async Task PrepareAsync(CancellationToken cancellationToken = default)
    {
        await Compose(forceContext: true).Batch.PrepareAsync(cancellationToken).ConfigureAwait(false);
        _preparedOn = Backend(_connection!);
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
                _kit.Return();
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
                _kit.Return();
            }
        }

        base.Dispose();
    }

    private static (Npgsql.NpgsqlConnection, int)? Backend(TenantConnection connection)
    {
        try
        {
            return (connection.InnerConnection, connection.InnerConnection.ProcessID);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private TenantExecution CreateExecution()
    {
        if (_running is { IsOver: false } && _connection is { State: ConnectionState.Open } open)
        {
            // Npgsql refuses a batch while a reader of the connection is open; let it say so in its own words.
            using var probe = new NpgsqlCommand("select", open.InnerConnection);
            probe.ExecuteNonQuery();
        }

        var (batch, carries, changesTransaction, endsTransaction) = Compose(forceContext: false);
        var connection = _connection!;
        var execution = new TenantExecution(connection, connection.ActiveTransaction, batch, carries, changesTransaction, endsTransaction, this);
        if (execution.CarriesContext)
        {
            Telemetry.DapperTenantsTelemetry.ContextStatementSent(connection.Source, connection.Tenant);
        }

        _running = execution;
        return execution;
    }

    /// <summary>Checks every command (state, guard), then fills in the batch kept for this one: <c>[context?, c1…cn]</c>.</summary>
    private (NpgsqlBatch Batch, bool Carries, bool ChangesTransaction, bool EndsTransaction) Compose(bool forceContext)
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
                _kit.Abandon();
            }

            _running = null;
        }

        var connection = _connection ?? throw new InvalidOperationException("The batch has no connection. Create it with TenantConnection.CreateBatch().");
        if (connection.State != ConnectionState.Open)
        {
            throw new InvalidOperationException($"The TenantConnection for tenant '{connection.Tenant}' is {connection.State}; open it before executing a batch.");
        }

        // As with Npgsql, a finished Transaction on the batch does not matter: commands run in the connection's current
        // transaction, if any.

        var items = _commands.Items;
        var changesTransaction = false;
        var endsTransaction = false;
        var contextAt = 0;
        var leading = true;
        for (var i = 0; i < items.Count; i++)
        {
            var text = connection.Check(items[i]);
            changesTransaction |= text.ChangesTransaction;
            endsTransaction |= text.EndsTransaction;
            if (leading && text.OnlyTransactionControl)
            {
                contextAt = i + 1;
            }
            else
            {
                leading = false;
            }
        }

        var transaction = connection.ActiveTransaction;

        // After leading commands that nothing may precede (BEGIN, SET TRANSACTION, ROLLBACK TO, …) the context goes next,
        // when a command follows them.
        var carries = items.Count > contextAt && (forceContext || connection.Context.IsNeeded(transaction));

        // Prepared on this physical connection: Npgsql binds the prepared statements. Otherwise Npgsql parses every
        // command again, which needs a clean slate (see StatementReset); the caller may also have changed them.
        if (_preparedOn is null || Backend(connection) != _preparedOn)
        {
            _preparedOn = null;
            if (StatementReset.IsAvailable)
            {
                foreach (var command in items)
                {
                    StatementReset.ForReparse(command);
                }
            }
        }
        var kit = _kit.For(connection);
        var batch = kit.Batch;
        batch.Connection = connection.InnerConnection;
        batch.Transaction = transaction?.Inner;
        batch.Timeout = Timeout;
        var sent = batch.BatchCommands;
        sent.Clear();
        for (var i = 0; i < items.Count; i++)
        {
            if (carries && i == contextAt)
            {
                connection.Context.Bind(kit.Context);
                sent.Add(kit.Context);
            }

            sent.Add(items[i]);
        }

        return (batch, carries, changesTransaction, endsTransaction);
    }
}
