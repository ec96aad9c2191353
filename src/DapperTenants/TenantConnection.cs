using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using DapperTenants.Connections;

namespace DapperTenants;

/// <summary>
/// An open connection whose every statement runs under one tenant. Use it with Dapper exactly as an
/// <see cref="Npgsql.NpgsqlConnection"/>; the tenant travels in the same round trip as each statement.
/// </summary>
/// <remarks>
/// Get one from <see cref="TenantDataSource.Open"/>. The tenant cannot be changed: open another connection for
/// another tenant. <see cref="InnerConnection"/> is an unguarded escape hatch that carries no tenant.
/// </remarks>
public abstract class TenantConnection : DbConnection
{
    private readonly Npgsql.NpgsqlConnection _inner;
    private TenantTransaction? _transaction;
    private bool _sessionContextConfirmed;
    private StateChangeEventHandler? _stateChange;

    private protected TenantConnection(TenantDataSource source, Npgsql.NpgsqlConnection inner, string tenant)
    {
        Source = source;
        _inner = inner;
        Tenant = tenant;
    }

    /// <summary>The tenant every statement on this connection runs under.</summary>
    public string Tenant { get; }

    /// <summary>The physical connection, for what the wrapper does not offer (COPY, notifications, type mapping).</summary>
    /// <remarks>
    /// Unguarded: a command created on it carries no tenant (so, in the default transaction scope, the policies show it no rows)
    /// and the guard does not see it.
    /// </remarks>
    public Npgsql.NpgsqlConnection InnerConnection => _inner;

    internal TenantDataSource Source { get; }

    internal TenantTransaction? ActiveTransaction => _transaction;

    /// <inheritdoc />
    /// <remarks>Reading returns the inner connection's string (without the password); setting it is refused.</remarks>
    [AllowNull]
    public override string ConnectionString
    {
        get => _inner.ConnectionString;
        set => throw new NotSupportedException("The connection string of a TenantConnection cannot be changed. Open connections from a TenantDataSource created for the other database.");
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
    public override int ConnectionTimeout => _inner.ConnectionTimeout;

    /// <inheritdoc />
    protected override DbProviderFactory? DbProviderFactory => null;

    /// <inheritdoc />
    /// <remarks>Always refused: a tenant connection stays on the database its data source was created for.</remarks>
    public override void ChangeDatabase(string databaseName) =>
        throw new NotSupportedException("A TenantConnection cannot change its database. Create a TenantDataSource for the other database.");

    /// <inheritdoc />
    /// <remarks>Reopens the physical connection for the same tenant.</remarks>
    public override void Open()
    {
        _sessionContextConfirmed = false;
        _inner.Open();
    }

    /// <inheritdoc />
    public override Task OpenAsync(CancellationToken cancellationToken)
    {
        _sessionContextConfirmed = false;
        return _inner.OpenAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override void Close()
    {
        _sessionContextConfirmed = false;
        _transaction = null;
        _inner.Close();
    }

    /// <inheritdoc />
    public override Task CloseAsync()
    {
        _sessionContextConfirmed = false;
        _transaction = null;
        return _inner.CloseAsync();
    }

    /// <inheritdoc />
    public override void EnlistTransaction(System.Transactions.Transaction? transaction) => _inner.EnlistTransaction(transaction);

    /// <inheritdoc />
    public override DataTable GetSchema() => _inner.GetSchema();

    /// <inheritdoc />
    public override DataTable GetSchema(string collectionName) => _inner.GetSchema(collectionName);

    /// <inheritdoc />
    public override DataTable GetSchema(string collectionName, string?[] restrictionValues) => _inner.GetSchema(collectionName, restrictionValues);

    /// <summary>Creates a command that runs under this connection's tenant.</summary>
    /// <returns>A new command bound to this connection.</returns>
    public new DbCommand CreateCommand() => CreateDbCommand();

    /// <inheritdoc />
    protected override DbCommand CreateDbCommand() => new TenantCommand(this);

    /// <inheritdoc />
    protected override DbBatch CreateDbBatch() =>
        throw new NotSupportedException("DbBatch is not supported on a TenantConnection yet. Use a command with several statements separated by ';'.");

    /// <inheritdoc />
    public override bool CanCreateBatch => false;

    /// <inheritdoc />
    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) =>
        _transaction = new TenantTransaction(this, _inner.BeginTransaction(isolationLevel));

    /// <inheritdoc />
    protected override async ValueTask<DbTransaction> BeginDbTransactionAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken) =>
        _transaction = new TenantTransaction(this, await _inner.BeginTransactionAsync(isolationLevel, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _transaction = null;
            Unsubscribe();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        _transaction = null;
        Unsubscribe();
        await _inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Whether the next statement must carry the tenant setting.</summary>
    internal bool NeedsContext
    {
        get
        {
            if (Source.Options.ContextScope == TenantContextScope.Session)
            {
                return !_sessionContextConfirmed && _transaction?.ContextApplied != true;
            }

            return _transaction is null || !_transaction.ContextApplied;
        }
    }

    /// <summary>Records that a statement carrying the setting completed without error.</summary>
    internal void ContextSucceeded()
    {
        if (_transaction is { } transaction)
        {
            transaction.ContextApplied = true;
        }
        else if (Source.Options.ContextScope == TenantContextScope.Session)
        {
            _sessionContextConfirmed = true;
        }
    }

    internal void TransactionEnded(TenantTransaction transaction, bool committed)
    {
        if (!ReferenceEquals(_transaction, transaction))
        {
            return;
        }

        if (committed && transaction.ContextApplied && Source.Options.ContextScope == TenantContextScope.Session)
        {
            _sessionContextConfirmed = true;
        }

        _transaction = null;
    }

    /// <summary>Raised when the state of the inner connection changes, with this connection as the sender.</summary>
    /// <remarks>Forwarded from <see cref="InnerConnection"/>, which is only listened to while this event has subscribers.</remarks>
    public override event StateChangeEventHandler? StateChange
    {
        add
        {
            if (value is null)
            {
                return;
            }

            if (_stateChange is null)
            {
                _inner.StateChange += ForwardStateChange;
            }

            _stateChange += value;
        }

        remove
        {
            if (_stateChange is null || value is null)
            {
                return;
            }

            _stateChange -= value;
            if (_stateChange is null)
            {
                _inner.StateChange -= ForwardStateChange;
            }
        }
    }

    /// <summary>Raises <see cref="StateChange"/>.</summary>
    /// <param name="stateChange">The old and new state.</param>
    protected override void OnStateChange(StateChangeEventArgs stateChange) => _stateChange?.Invoke(this, stateChange);

    private void Unsubscribe()
    {
        if (_stateChange is not null)
        {
            _stateChange = null;
            _inner.StateChange -= ForwardStateChange;
        }
    }

    private void ForwardStateChange(object sender, StateChangeEventArgs e) => OnStateChange(e);
}
