using Npgsql;

namespace DapperTenants.Connections;

/// <summary>
/// The tenant context of one <see cref="TenantConnection"/>: the only place that knows whether the next statement
/// must carry the tenant setting, and whether a statement that carried it took effect.
/// </summary>
/// <remarks>
/// <para>
/// In <see cref="TenantContextScope.Transaction"/> scope the setting is transaction-local: every statement outside an
/// explicit transaction carries it, and inside one the first statement does (again after anything that may have undone
/// it: a rollback to a savepoint, transaction control sent as SQL, a failed execution).
/// </para>
/// <para>
/// In <see cref="TenantContextScope.Session"/> scope the setting lives in the session: the first statement after each
/// open carries it, and it counts as applied once the implicit transaction it ran in finished cleanly, or the explicit
/// one committed.
/// </para>
/// <para>
/// It never takes anything from the caller: the value it binds is the connection's tenant (or, with a signing key, the
/// tenant's token), bound to a statement of its own.
/// </para>
/// <para>
/// A struct held in a field of the connection and reached through a <c>ref</c>, so that an open allocates one object
/// less (it is never copied: every use goes through <see cref="TenantConnection.Context"/>).
/// </para>
/// </remarks>
internal struct TenantContext
{
    private readonly TenantConnection _connection;
    private readonly bool _session;

    // Session scope: the setting was committed in this session since the connection was opened.
    private bool _sessionApplied;

    // Session scope with a signing key: the token that was committed; a renewed token travels again before this expires.
    private string? _sessionValue;

    // The value bound to the last context statement sent.
    private string? _sent;

    // The explicit transaction in which a statement carrying the setting completed; null when none did (or since undone).
    private TenantTransaction? _appliedIn;

    // The explicit transaction a server error aborted: until a rollback, PostgreSQL refuses everything else in it.
    private TenantTransaction? _abortedIn;

    public TenantContext(TenantConnection connection)
    {
        _connection = connection;
        _session = connection.Source.Options.ContextScope == TenantContextScope.Session;
    }

    /// <summary>Whether the next statement, run in <paramref name="transaction"/>, must carry the setting.</summary>
    public bool IsNeeded(TenantTransaction? transaction)
    {
        if (_session && _sessionApplied)
        {
            // With a signing key the minter hands out the same token instance until it renews it at half its lifetime.
            if (_connection.Source.Minter is null || ReferenceEquals(_sessionValue, Value))
            {
                return false;
            }

            _sessionApplied = false;
        }

        // In an aborted transaction the context statement would only fail ahead of the caller's statement; worse, Npgsql
        // would try to auto-prepare it there, and a failed auto-preparation can leave Npgsql believing in a statement the
        // server dropped. The next statement after the rollback carries the context again.
        if (transaction is not null && ReferenceEquals(_abortedIn, transaction))
        {
            return false;
        }

        return transaction is null || !ReferenceEquals(_appliedIn, transaction);
    }

    /// <summary>Binds a context statement (<c>select set_config(setting, $1, local)</c>) to this connection's value, before every execution that sends it.</summary>
    public void Bind(NpgsqlBatchCommand statement) => ((NpgsqlParameter<string>)statement.Parameters[0]).TypedValue = NextValue();

    /// <summary>The value for the next context statement sent, remembered so that a session knows which token it holds.</summary>
    public string NextValue() => _sent = Value;

    /// <summary>The value the setting receives: the tenant, or with a signing key the tenant's current token.</summary>
    public string Value => _connection.Source.Minter is { } minter ? minter.TokenFor(_connection.Tenant) : _connection.Tenant;

    /// <summary>Called once an execution is over.</summary>
    /// <param name="transaction">The explicit transaction it ran in, if any.</param>
    /// <param name="carried">Whether it carried the setting.</param>
    /// <param name="clean">Whether every statement of it completed without error.</param>
    /// <param name="aborted">Whether the server reported an error, which aborts an explicit transaction.</param>
    /// <param name="changesTransaction">Whether its text begins, ends or rolls back (part of) a transaction.</param>
    public void Completed(TenantTransaction? transaction, bool carried, bool clean, bool aborted, bool changesTransaction)
    {
        if (changesTransaction)
        {
            // Transaction control sent as SQL: whatever held before may no longer hold.
            Forget();
            return;
        }

        if (aborted && transaction is not null && !transaction.IsCompleted)
        {
            // Only a rollback (to a savepoint) continues it, and that may undo the setting: it travels again afterwards.
            _abortedIn = transaction;
            _appliedIn = null;
            return;
        }

        if (!carried || !clean)
        {
            return;
        }

        if (transaction is not null && !transaction.IsCompleted)
        {
            _appliedIn = transaction;
        }
        else if (_session && !_connection.IsEnlisted)
        {
            // Enlisted in a TransactionScope, the statement ran in the scope's transaction, which may still roll back and
            // take the setting with it (back to whatever the session held before, possibly another tenant's value left by
            // an earlier scope, since Npgsql does not reset connections a scope releases): the context travels with every
            // statement instead.
            _sessionApplied = true;
            _sessionValue = _sent;
        }
    }

    /// <summary>The explicit transaction ended: a session setting made in it survives only a commit.</summary>
    public void TransactionEnded(TenantTransaction transaction, bool committed)
    {
        if (ReferenceEquals(_abortedIn, transaction))
        {
            _abortedIn = null;
        }

        if (!ReferenceEquals(_appliedIn, transaction))
        {
            return;
        }

        if (committed && _session)
        {
            _sessionApplied = true;
            _sessionValue = _sent;
        }

        _appliedIn = null;
        _abortedIn = null;
    }

    /// <summary>A rollback to a savepoint, a reopen, or SQL transaction control: the next statement carries the setting again.</summary>
    public void Forget()
    {
        _appliedIn = null;
        _abortedIn = null;
        _sessionApplied = false;
    }
}
