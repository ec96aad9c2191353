using System.Data;
using Npgsql;

namespace DapperTenants.Connections;

/// <summary>
/// One <c>Execute*</c> call of a command or batch: owns what it sends and, once it is over, tells the connection's
/// <see cref="TenantContext"/> whether the tenant setting went with it and whether everything completed cleanly.
/// </summary>
/// <remarks>
/// What it sends is either an <see cref="NpgsqlBatch"/> of <c>[context?, caller statement(s)]</c>, or, for a caller text
/// of several statements, an <see cref="NpgsqlCommand"/> whose text starts with the context statement. Nothing of the
/// caller's is moved or restored: the caller's parameters stay in the caller's batch command, where Npgsql reads them
/// and fills the output ones.
/// </remarks>
internal sealed class TenantExecution
{
    private readonly TenantConnection _connection;
    private readonly TenantTransaction? _transaction;
    private readonly NpgsqlBatch? _batch;
    private readonly NpgsqlCommand? _command;
    private readonly bool _changesTransaction;
    private readonly bool _endsTransaction;
    private ITenantStatementOwner? _owner;
    private NpgsqlDataReader? _reader;
    private readonly Lock _gate = new();
    private bool _completed;
    private volatile bool _released;

    private TenantExecution(
        TenantConnection connection, TenantTransaction? transaction, bool carriesContext, bool changesTransaction, bool endsTransaction, ITenantStatementOwner owner)
    {
        _connection = connection;
        _transaction = transaction;
        CarriesContext = carriesContext;
        _changesTransaction = changesTransaction;
        _endsTransaction = endsTransaction;
        _owner = owner;
    }

    public TenantExecution(
        TenantConnection connection, TenantTransaction? transaction, NpgsqlBatch batch, bool carriesContext, bool changesTransaction, bool endsTransaction,
        ITenantStatementOwner owner)
        : this(connection, transaction, carriesContext, changesTransaction, endsTransaction, owner)
    {
        _batch = batch;
    }

    public TenantExecution(
        TenantConnection connection, TenantTransaction? transaction, NpgsqlCommand command, bool carriesContext, bool changesTransaction, bool endsTransaction,
        ITenantStatementOwner owner)
        : this(connection, transaction, carriesContext, changesTransaction, endsTransaction, owner)
    {
        _command = command;
    }

    /// <summary>Whether the first result is the context statement's, which the caller never sees.</summary>
    public bool CarriesContext { get; }

    public TenantConnection Connection => _connection;

    /// <summary>Whether the execution's results are gone: completed, or its reader was closed underneath (the connection closed).</summary>
    public bool IsOver => _completed || _reader is { IsClosed: true };

    /// <summary>Whether nothing touches what it sent any more.</summary>
    public bool IsReleased => _released;

    /// <summary>Sends the statements and returns the reader positioned on the caller's first result.</summary>
    public NpgsqlDataReader Start(CommandBehavior behavior)
    {
        for (var attempt = 0; ; attempt++)
        {
            NpgsqlDataReader? reader = null;
            try
            {
                reader = _batch is not null ? _batch.ExecuteReader(behavior) : _command!.ExecuteReader(behavior);
                _reader = reader;
                if (CarriesContext)
                {
                    reader.NextResult();
                }

                return reader;
            }
            catch (Exception e) when (attempt == 0 && CanRetry(e))
            {
                reader?.Dispose();
                Unprepare();
            }
            catch (Exception e)
            {
                Fail(reader, e);
                throw;
            }
        }
    }

    private void Fail(NpgsqlDataReader? reader, Exception e)
    {
        reader?.Dispose();
        Complete(clean: false, e);
        if (NeedsHealing(e))
        {
            Heal();
        }

        Release();
    }

    /// <summary>Sends the statements and returns the reader positioned on the caller's first result.</summary>
    public async Task<NpgsqlDataReader> StartAsync(CommandBehavior behavior, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            NpgsqlDataReader? reader = null;
            try
            {
                reader = _batch is not null
                    ? await _batch.ExecuteReaderAsync(behavior, cancellationToken).ConfigureAwait(false)
                    : await _command!.ExecuteReaderAsync(behavior, cancellationToken).ConfigureAwait(false);
                _reader = reader;
                if (CarriesContext)
                {
                    await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                }

                return reader;
            }
            catch (Exception e) when (attempt == 0 && CanRetry(e))
            {
                if (reader is not null)
                {
                    await reader.DisposeAsync().ConfigureAwait(false);
                }

                Unprepare();
            }
            catch (Exception e)
            {
                await FailAsync(reader, e).ConfigureAwait(false);
                throw;
            }
        }
    }

    private async Task FailAsync(NpgsqlDataReader? reader, Exception e)
    {
        if (reader is not null)
        {
            await reader.DisposeAsync().ConfigureAwait(false);
        }

        Complete(clean: false, e);
        if (NeedsHealing(e))
        {
            await HealAsync().ConfigureAwait(false);
        }

        Release();
    }

    /// <summary>Runs the statements to the end and returns the rows they affected.</summary>
    public int NonQuery()
    {
        try
        {
            int affected;
            try
            {
                affected = _batch is not null ? _batch.ExecuteNonQuery() : _command!.ExecuteNonQuery();
            }
            catch (Exception e) when (CanRetry(e))
            {
                Unprepare();
                affected = _batch is not null ? _batch.ExecuteNonQuery() : _command!.ExecuteNonQuery();
            }

            Complete(clean: true);
            return affected;
        }
        catch (Exception e)
        {
            Complete(clean: false, e);
            if (NeedsHealing(e))
            {
                Heal();
            }

            throw;
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Runs the statements to the end and returns the rows they affected.</summary>
    public async Task<int> NonQueryAsync(CancellationToken cancellationToken)
    {
        try
        {
            int affected;
            try
            {
                affected = _batch is not null
                    ? await _batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false)
                    : await _command!.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (CanRetry(e))
            {
                Unprepare();
                affected = _batch is not null
                    ? await _batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false)
                    : await _command!.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            Complete(clean: true);
            return affected;
        }
        catch (Exception e)
        {
            Complete(clean: false, e);
            if (NeedsHealing(e))
            {
                await HealAsync().ConfigureAwait(false);
            }

            throw;
        }
        finally
        {
            Release();
        }
    }

    /// <summary>
    /// Whether a failure may be retried once after Npgsql's prepared statements are started over: the server did not
    /// know a statement Npgsql believed prepared (26000), and nothing can have taken effect — outside an explicit
    /// transaction the batch is one implicit transaction, which the error rolled back whole.
    /// </summary>
    private bool CanRetry(Exception e) =>
        e is PostgresException { SqlState: "26000" } && _transaction is null && !_changesTransaction && !_connection.IsEnlisted
        && _connection.InnerConnection.State == ConnectionState.Open && (_batch is null || StatementReset.IsAvailable);

    /// <summary>
    /// Whether a failure may have left the context statement half auto-prepared on the physical connection. Npgsql
    /// processes a batch's commands in order and marks a statement that just crossed its auto-prepare threshold as
    /// being prepared before it validates the next command; when the caller's command then fails on the client (a
    /// parameter Npgsql cannot write, an output parameter referenced in the text, …) nothing is sent, and that mark
    /// stays in the connection's prepared-statement table: every later context statement on that connection would be
    /// sent as a bind to a statement the server never parsed (26000).
    /// </summary>
    private bool NeedsHealing(Exception e) =>
        CarriesContext && _batch is not null
        && e is InvalidOperationException or NotSupportedException or InvalidCastException or ArgumentException or OverflowException or FormatException
        && e is not ObjectDisposedException && _connection.InnerConnection.State == ConnectionState.Open;

    /// <summary>Sends the same context statement object alone, so Npgsql parses it and completes the preparation it started.</summary>
    private void Heal()
    {
        try
        {
            var commands = _batch!.BatchCommands;
            var context = commands[0];
            commands.Clear();
            commands.Add(context);
            _batch.ExecuteNonQuery();
        }
#pragma warning disable CA1031 // Best effort: the caller gets the original exception either way.
        catch (Exception)
        {
        }
#pragma warning restore CA1031
    }

    private async Task HealAsync()
    {
        try
        {
            var commands = _batch!.BatchCommands;
            var context = commands[0];
            commands.Clear();
            commands.Add(context);
            await _batch.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Best effort: the caller gets the original exception either way.
        catch (Exception)
        {
        }
#pragma warning restore CA1031
    }

    /// <summary>Cancels the statements while they run; does nothing otherwise. Safe to call from another thread.</summary>
    /// <remarks>
    /// Holds the lock that <see cref="Release"/> takes, so a batch is never cancelled after it went back to the pool and
    /// may be serving another connection.
    /// </remarks>
    public void Cancel()
    {
        lock (_gate)
        {
            if (_released || _completed)
            {
                return;
            }

            if (_batch is not null)
            {
                _batch.Cancel();
            }
            else
            {
                _command!.Cancel();
            }
        }
    }

    /// <summary>Called once, when the reader closes or the execution fails: tells the context whether the setting took effect.</summary>
    /// <param name="clean">Whether every statement completed without error.</param>
    /// <param name="failure">The error, when there was one: a server error aborts an explicit transaction.</param>
    public void Complete(bool clean, Exception? failure = null)
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        _connection.Context.Completed(_transaction, CarriesContext, clean, aborted: failure is PostgresException, _changesTransaction);

        if (_endsTransaction && _transaction is not null)
        {
            // COMMIT or ROLLBACK sent as SQL may have ended the explicit transaction underneath its object.
            _transaction.EndIfEndedOnServer();
        }

        if (failure is PostgresException { SqlState: "26000" })
        {
            // Npgsql's prepared-statement bookkeeping disagrees with the server (a statement it believes prepared was
            // dropped, for instance by a failed auto-preparation in an aborted transaction): start it over, so that this
            // physical connection does not fail every later statement that uses the statement.
            Unprepare();
        }
    }

    private void Unprepare()
    {
        // What is sent again must be parsed again from a clean slate (see StatementReset).
        if (_batch is not null && StatementReset.IsAvailable)
        {
            var commands = _batch.BatchCommands;
            for (var i = 0; i < commands.Count; i++)
            {
                StatementReset.ForReparse(commands[i]);
            }
        }

        try
        {
            _connection.InnerConnection.UnprepareAll();
        }
#pragma warning disable CA1031 // Best effort: the caller gets the original exception either way.
        catch (Exception)
        {
        }
#pragma warning restore CA1031
    }

    /// <summary>
    /// Called once nothing touches what was sent any more (the reader disposed, not just closed: Npgsql's reader still
    /// reaches its command when disposed): the owner may reuse it, or return it to the pool.
    /// </summary>
    public void Release()
    {
        lock (_gate)
        {
            if (_released)
            {
                return;
            }

            _released = true;
        }

        var owner = _owner;
        _owner = null;
        owner?.Released(this);
    }
}
