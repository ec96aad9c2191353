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
    private StateChangeEventHandler? _stateChange;
    private bool _enlisted;
    private TenantContext _context;

    private protected TenantConnection(TenantDataSource source, Npgsql.NpgsqlConnection inner, string tenant)
    {
        Source = source;
        _inner = inner;
        Tenant = tenant;
        _context = new TenantContext(this);
        _enlisted = source.AutoEnlist && System.Transactions.Transaction.Current is not null;
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

    /// <summary>Whether the next statement carries the tenant, and whether it took effect.</summary>
    internal ref TenantContext Context => ref _context;

    /// <summary>
    /// Whether this lease's server session may serve a later lease without being reset: a pool without reset, multiplexing,
    /// an external transaction pooler, or enlistment in a <c>TransactionScope</c> (Npgsql skips its reset for those).
    /// </summary>
    internal bool SessionOutlivesLease => Source.SessionsOutliveLeases || _enlisted;

    /// <summary>Whether the connection takes part in a <c>TransactionScope</c>, so its statements run in a server transaction.</summary>
    internal bool IsEnlisted => _enlisted;

    /// <summary>The guard's verdict on a caller statement (throws <see cref="TenantGuardException"/>), and what the path needs to know of its text.</summary>
    internal Guard.SqlText Check(Npgsql.NpgsqlBatchCommand statement)
    {
        var text = Source.Guard.Analyze(statement.CommandText, statement.CommandType, Source.Catalog);
        if (text.Plan.Checks.Count > 0)
        {
            try
            {
                text.Plan.Evaluate(statement.Parameters, new Guard.GuardContext(Tenant, SessionOutlivesLease, _enlisted));
            }
            catch (TenantGuardException refusal)
            {
                Telemetry.DapperTenantsTelemetry.GuardRefused(Source, RefusalKind(refusal), Tenant, refusal.Table);
                throw;
            }
        }

        return text;
    }

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
        Reset();
        _inner.Open();
    }

    /// <inheritdoc />
    public override Task OpenAsync(CancellationToken cancellationToken)
    {
        Reset();
        return _inner.OpenAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override void Close()
    {
        Reset();
        _inner.Close();
    }

    /// <inheritdoc />
    public override Task CloseAsync()
    {
        Reset();
        return _inner.CloseAsync();
    }

    /// <inheritdoc />
    public override void EnlistTransaction(System.Transactions.Transaction? transaction)
    {
        _inner.EnlistTransaction(transaction);
        _enlisted |= transaction is not null;
    }

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

    /// <summary>Creates a batch whose commands run under this connection's tenant, in one round trip with the tenant setting.</summary>
    /// <returns>A new batch bound to this connection; its batch commands are <see cref="Npgsql.NpgsqlBatchCommand"/>s.</returns>
    protected override DbBatch CreateDbBatch() => new TenantBatch(this);

    /// <inheritdoc />
    /// <value>Always <see langword="true"/>: <see cref="DbConnection.CreateBatch"/> returns a batch that carries the tenant.</value>
    public override bool CanCreateBatch => true;

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
            Context.Forget();
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

    // A short, stable metric dimension: the statement kind in lower case ("insert", "set_config", "set_local", ...).
    private static string RefusalKind(TenantGuardException refusal) =>
        refusal.StatementKind is { } kind ? kind.ToLowerInvariant().Replace(' ', '_') : "unknown";

    internal void TransactionEnded(TenantTransaction transaction, bool committed)
    {
        if (!ReferenceEquals(_transaction, transaction))
        {
            return;
        }

        Context.TransactionEnded(transaction, committed);
        _transaction = null;
    }

    // Open and close start over: a reopened connection may be another server session.
    private void Reset()
    {
        Context.Forget();
        _transaction = null;
        _enlisted = Source.AutoEnlist && System.Transactions.Transaction.Current is not null;
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
