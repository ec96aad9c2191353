using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Npgsql;

namespace DapperTenants.Connections;

/// <summary>
/// A command of a <see cref="TenantConnection"/>. It holds the caller's state only — text, type, timeout and a
/// parameter collection of its own — and each <c>Execute*</c> call is one <see cref="TenantExecution"/> that sends the
/// caller's statement behind the tenant context when the context must travel with it.
/// </summary>
/// <remarks>
/// The caller's state lives in a standalone <see cref="NpgsqlBatchCommand"/>. Executions borrow an
/// <see cref="ExecutionKit"/> (a batch and its context statement) that this command rents once from its data source and
/// keeps, so that Npgsql's preparation bookkeeping follows the command from one physical connection to another as it
/// does for Npgsql's own commands; never Npgsql's per-connection cached command or batch. A reader may outlive the
/// command: the kit goes back to the pool only when both are disposed.
/// </remarks>
internal sealed class TenantCommand : DbCommand, ITenantStatementOwner
{
    private const string OpenReaderMessage = "An open data reader exists for this command.";

    private NpgsqlBatchCommand _statement = new();

    // Whether Npgsql has parsed _statement before (so its next parse must start from a clean slate).
    private bool _parsed;

    // Where Prepare() prepared _statement: executions there bind the prepared statement instead of parsing it again.
    private (Npgsql.NpgsqlConnection Connection, int ProcessId)? _preparedOn;
    private TenantConnection? _connection;
    private TenantTransaction? _transaction;
    private int? _timeout;
    private bool _designTimeVisible = true;
    private UpdateRowSource _updatedRowSource = UpdateRowSource.Both;
    private bool _disposed;

    private KitLease _kit;
    private NpgsqlCommand? _multi;
    private TenantExecution? _running;

    public TenantCommand(TenantConnection connection)
    {
        _connection = connection;
    }

    [AllowNull]
    public override string CommandText
    {
        get => _statement.CommandText;
        set
        {
            ThrowIfRunning();
            _statement.CommandText = value;
            _preparedOn = null;
        }
    }

    public override int CommandTimeout
    {
        get => _timeout ?? _connection?.InnerConnection.CommandTimeout ?? 30;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _timeout = value;
        }
    }

    public override CommandType CommandType
    {
        get => _statement.CommandType;
        set
        {
            if (value is not (CommandType.Text or CommandType.StoredProcedure))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "A command of a TenantConnection supports CommandType.Text and CommandType.StoredProcedure, as Npgsql does.");
            }

            _statement.CommandType = value;
            _preparedOn = null;
        }
    }

    public override bool DesignTimeVisible
    {
        get => _designTimeVisible;
        set => _designTimeVisible = value;
    }

    public override UpdateRowSource UpdatedRowSource
    {
        get => _updatedRowSource;
        set => _updatedRowSource = value;
    }

    protected override DbConnection? DbConnection
    {
        get => _connection;
        set
        {
            if (ReferenceEquals(_connection, value))
            {
                return;
            }

            ThrowIfRunning();
            _connection = value switch
            {
                null => null,
                TenantConnection tenantConnection => tenantConnection,
                _ => throw new ArgumentException(
                    $"A command of a TenantConnection can only run on a TenantConnection, not on a {value.GetType().Name}. Create the command with TenantConnection.CreateCommand().",
                    nameof(value)),
            };
            _transaction = null;
        }
    }

    protected override DbParameterCollection DbParameterCollection => _statement.Parameters;

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

    public override void Cancel() => _running?.Cancel();

    protected override DbParameter CreateDbParameter() => new NpgsqlParameter();

    /// <summary>Prepares, on the physical connection, exactly what an execution of this command sends, context statement included.</summary>
    public override void Prepare()
    {
        var (batch, multi, _, _) = Compose(forceContext: true);
        if (batch is not null)
        {
            batch.Prepare();
            _preparedOn = Backend(_connection!);
        }
        else
        {
            multi!.Prepare();
        }
    }

    /// <summary>Prepares, on the physical connection, exactly what an execution of this command sends, context statement included.</summary>
    public override Task PrepareAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var (batch, multi, _, _) = Compose(forceContext: true);
            return batch is not null ? PrepareBatchAsync(batch, cancellationToken) : multi!.PrepareAsync(cancellationToken);
        }
        catch (Exception e)
        {
            return Task.FromException(e);
        }
    }

    private async Task PrepareBatchAsync(NpgsqlBatch batch, CancellationToken cancellationToken)
    {
        await batch.PrepareAsync(cancellationToken).ConfigureAwait(false);
        _preparedOn = Backend(_connection!);
    }

    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior)
    {
        var execution = CreateExecution();
        return new TenantDataReader(execution, execution.Start(ForServer(behavior, execution)), behavior);
    }

    protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken)
    {
        var execution = CreateExecution();
        var reader = await execution.StartAsync(ForServer(behavior, execution), cancellationToken).ConfigureAwait(false);
        return new TenantDataReader(execution, reader, behavior);
    }

    public override int ExecuteNonQuery() => CreateExecution().NonQuery();

    public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken)
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
        using var reader = ExecuteDbDataReader(CommandBehavior.SingleResult | CommandBehavior.SingleRow);
        return reader.Read() && reader.FieldCount > 0 ? reader.GetValue(0) : null;
    }

    public override async Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken)
    {
        var reader = await ExecuteDbDataReaderAsync(CommandBehavior.SingleResult | CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
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

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;

            // A reader still reading keeps the kit until it is disposed.
            if (_running is null || _running.IsReleased)
            {
                _running = null;
                _kit.Return();
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>The checks, then one execution of what <see cref="Compose"/> filled in.</summary>
    private TenantExecution CreateExecution()
    {
        if (_running is { IsOver: false } && _connection is { State: ConnectionState.Open } open)
        {
            // Npgsql refuses a command while a reader of the connection is open; let it say so in its own words.
            using var probe = new NpgsqlCommand("select", open.InnerConnection);
            probe.ExecuteNonQuery();
        }

        var (batch, multi, text, carries) = Compose(forceContext: false);
        var connection = _connection!;
        var transaction = connection.ActiveTransaction;
        var execution = batch is not null
            ? new TenantExecution(connection, transaction, batch, carries, text.ChangesTransaction, text.EndsTransaction, this)
            : new TenantExecution(connection, transaction, multi!, carries, text.ChangesTransaction, text.EndsTransaction, this);
        if (execution.CarriesContext)
        {
            Telemetry.DapperTenantsTelemetry.ContextStatementSent(connection.Source, connection.Tenant);
        }

        _running = execution;
        return execution;
    }

    /// <summary>
    /// Checks the command (state, guard) and fills in what an execution sends: the batch kept for this command, or for a
    /// text of several statements the command kept for that, with the context statement first when it must travel.
    /// </summary>
    private (NpgsqlBatch? Batch, NpgsqlCommand? Multi, Guard.SqlText Text, bool Carries) Compose(bool forceContext)
    {
        var connection = Validate();
        var transaction = connection.ActiveTransaction;
        var text = connection.Check(_statement);
        var needed = forceContext || connection.Context.IsNeeded(transaction);
        if (text.StatementCount > 1 && _statement.CommandType == CommandType.Text && !HasPositionalParameters())
        {
            var carriesAll = needed && !text.OnlyTransactionControl;
            return (null, Multi(connection, transaction, carriesAll ? text : null), text, carriesAll);
        }

        // A lone BEGIN, COMMIT, ROLLBACK TO, SET TRANSACTION … goes without the context; the next statement carries it.
        var carries = needed && !text.LeadsWithTransactionControl;
        return (Batch(connection, transaction, carries), null, text, carries);
    }

    private NpgsqlBatch Batch(TenantConnection connection, TenantTransaction? transaction, bool carries)
    {
        ReadyStatement(connection);
        var kit = _kit.For(connection);
        var batch = kit.Batch;
        batch.Connection = connection.InnerConnection;
        batch.Transaction = transaction?.Inner;
        batch.Timeout = CommandTimeout;
        var commands = batch.BatchCommands;
        commands.Clear();
        if (carries)
        {
            connection.Context.Bind(kit.Context);
            commands.Add(kit.Context);
        }

        commands.Add(_statement);
        return batch;
    }

    /// <summary>
    /// A text of several statements cannot be one batch command (Npgsql and PostgreSQL refuse it): it goes as one
    /// command with the context statement spliced in — first, or right after a first statement that nothing may precede
    /// (<c>BEGIN …</c>, <c>ROLLBACK TO …</c>) — and with copies of the caller's parameters. The context value is bound
    /// under a name drawn at random per data source, which no caller parameter may take.
    /// </summary>
    /// <param name="connection">The connection the command runs on.</param>
    /// <param name="transaction">The explicit transaction, if any.</param>
    /// <param name="context">The analysis of the text when the context statement goes with it; <see langword="null"/> when it does not.</param>
    private NpgsqlCommand Multi(TenantConnection connection, TenantTransaction? transaction, Guard.SqlText? context)
    {
        var command = _multi ??= new NpgsqlCommand();
        command.Connection = connection.InnerConnection;
        command.Transaction = transaction?.Inner;
        command.CommandTimeout = CommandTimeout;
        var source = connection.Source;
        var text = _statement.CommandText;
        if (context is not null)
        {
            text = context.WithContext ??= context.LeadsWithTransactionControl
                ? string.Concat(text.AsSpan(0, context.ContextOffset), source.ContextPrefix, text.AsSpan(context.ContextOffset))
                : source.ContextPrefix + text;
        }

        if (!string.Equals(command.CommandText, text, StringComparison.Ordinal))
        {
            command.CommandText = text;
        }

        var parameters = command.Parameters;
        parameters.Clear();
        if (context is not null)
        {
            parameters.Add(new NpgsqlParameter<string>(source.ContextParameterName, NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = connection.Context.NextValue() });
        }

        foreach (NpgsqlParameter parameter in _statement.Parameters)
        {
            if (source.IsContextParameterName(parameter.ParameterName))
            {
                throw new InvalidOperationException(
                    $"The parameter name '{parameter.ParameterName}' is reserved by DapperTenants for the tenant context. Rename the parameter.");
            }

            parameters.Add(parameter.Clone());
        }

        return command;
    }

    /// <summary>
    /// Leaves a statement prepared on this physical connection as it is (Npgsql binds it), and otherwise makes Npgsql
    /// parse it afresh: see <see cref="StatementReset"/> for the Npgsql behaviour this works around.
    /// </summary>
    private void ReadyStatement(TenantConnection connection)
    {
        if (_preparedOn is { } prepared)
        {
            if (Backend(connection) == prepared)
            {
                return;
            }

            _preparedOn = null;
        }

        if (!_parsed)
        {
            _parsed = true;
            return;
        }

        if (StatementReset.IsAvailable)
        {
            StatementReset.ForReparse(_statement);
            return;
        }

        // A fresh batch command with the caller's parameter objects moved into it; the caller reads them through Parameters.
        var next = new NpgsqlBatchCommand(_statement.CommandText) { CommandType = _statement.CommandType };
        var parameters = _statement.Parameters.ToArray();
        _statement.Parameters.Clear();
        foreach (var parameter in parameters)
        {
            next.Parameters.Add(parameter);
        }

        _statement = next;
    }

    private static (Npgsql.NpgsqlConnection, int)? Backend(TenantConnection connection)
    {
        try
        {
            return (connection.InnerConnection, connection.InnerConnection.ProcessID);
        }
        catch (InvalidOperationException)
        {
            // Multiplexing binds no backend to the connection: nothing stays prepared there.
            return null;
        }
    }

    private TenantConnection Validate()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfRunning();
        var connection = _connection ?? throw new InvalidOperationException("The command has no connection. Create it with TenantConnection.CreateCommand().");
        if (connection.State != ConnectionState.Open)
        {
            throw new InvalidOperationException($"The TenantConnection for tenant '{connection.Tenant}' is {connection.State}; open it before executing a command.");
        }

        // As with Npgsql, a finished Transaction on the command does not matter: statements run in the connection's
        // current transaction, if any.
        return connection;
    }

    private void ThrowIfRunning()
    {
        if (_running is { } running)
        {
            if (!running.IsOver)
            {
                throw new InvalidOperationException(OpenReaderMessage);
            }

            // The last reader was closed but not disposed: its Dispose may still reach the kit, so this command moves on
            // to a fresh one and leaves that kit to the garbage collector.
            if (!running.IsReleased)
            {
                _kit.Abandon();
            }

            _running = null;
        }
    }

    private bool HasPositionalParameters()
    {
        var parameters = _statement.Parameters;
        for (var i = 0; i < parameters.Count; i++)
        {
            if (string.IsNullOrEmpty(parameters[i].ParameterName))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// What the server-side reader is asked for. With the context statement first, Dapper's SingleResult/SingleRow
    /// would apply to it and hide the caller's rows, so the reader emulates them on the caller's result instead; closing
    /// the connection is always the wrapper's job, so that the tenant connection knows.
    /// </summary>
    internal static CommandBehavior ForServer(CommandBehavior behavior, TenantExecution execution)
    {
        behavior &= ~CommandBehavior.CloseConnection;
        return execution.CarriesContext ? behavior & ~(CommandBehavior.SingleResult | CommandBehavior.SingleRow) : behavior;
    }
}
