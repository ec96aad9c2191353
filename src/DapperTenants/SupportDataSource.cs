using Npgsql;

namespace DapperTenants;

/// <summary>
/// Opens audited support sessions: connections for an operator's login (a member of the support role given to
/// <see cref="PolicyInstaller.UseSupportAccess"/>) that see the tenants of a logged scope, and nothing before the log row is written.
/// </summary>
/// <remarks>
/// <para>
/// Each connection writes one row to <c>dapper_tenants.access_log</c> (actor, reason, scope, whether writes are
/// allowed, start, login, backend) in the same round trip as its first statement, through the <c>SECURITY DEFINER</c>
/// function only the support role may execute. The log row is committed before the statement runs (an error barrier
/// separates them), so no rollback can take the row back while keeping what the statement read. In a session that
/// allows writes, every statement that may write also writes a row to <c>dapper_tenants.access_log_writes</c> in the
/// statement's round trip and transaction; the policies refuse a support write whose transaction has none.
/// </para>
/// <para>
/// The database enforces the scope, not this class: a support login that runs SQL of its own sees no row until it has
/// written (and committed) a log row on its server session, and then only that row's scope.
/// </para>
/// </remarks>
public sealed class SupportDataSource
{
    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Creates a support data source over a data source for an operator's login.</summary>
    /// <param name="supportDataSource">A data source whose login is a member of the support role. The caller keeps ownership of it.</param>
    /// <exception cref="ArgumentException">
    /// The data source keeps server sessions across leases (<c>No Reset On Close=true</c> or <c>Multiplexing=true</c>).
    /// </exception>
    public SupportDataSource(NpgsqlDataSource supportDataSource)
    {
        ArgumentNullException.ThrowIfNull(supportDataSource);
        var builder = new NpgsqlConnectionStringBuilder(supportDataSource.ConnectionString);
        var reason = builder.NoResetOnClose ? "No Reset On Close=true" : builder.Multiplexing ? "Multiplexing=true" : null;
        if (reason is not null)
        {
            throw new ArgumentException(
                $"A SupportDataSource cannot use a data source with {reason}: a support session's scope lives in its server session, which must be reset "
                + "before another lease uses it. Remove the setting from the support login's connection string.", nameof(supportDataSource));
        }

        _dataSource = supportDataSource;
    }

    /// <summary>Opens a support connection; its first statement writes the access log row.</summary>
    /// <param name="actor">Who works: the operator's name or id (1 to 256 characters).</param>
    /// <param name="reason">Why: the ticket or task (1 to 4096 characters).</param>
    /// <param name="scope">The tenants the session may see, or <see cref="SupportScope.AllTenants"/>.</param>
    /// <param name="allowWrites">Whether the session may insert, update and delete rows of its tenants; <see langword="false"/> by default.</param>
    /// <returns>An open connection.</returns>
    /// <exception cref="ArgumentException">The actor or reason is empty or too long.</exception>
    public SupportConnection Open(string actor, string reason, SupportScope scope, bool allowWrites = false)
    {
        Validate(actor, reason, scope);
        return new SupportConnection(_dataSource.OpenConnection(), actor, reason, scope, allowWrites);
    }

    /// <summary>Opens a support connection; its first statement writes the access log row.</summary>
    /// <param name="actor">Who works: the operator's name or id (1 to 256 characters).</param>
    /// <param name="reason">Why: the ticket or task (1 to 4096 characters).</param>
    /// <param name="scope">The tenants the session may see, or <see cref="SupportScope.AllTenants"/>.</param>
    /// <param name="allowWrites">Whether the session may insert, update and delete rows of its tenants; <see langword="false"/> by default.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <returns>An open connection.</returns>
    /// <exception cref="ArgumentException">The actor or reason is empty or too long.</exception>
    public async ValueTask<SupportConnection> OpenAsync(
        string actor, string reason, SupportScope scope, bool allowWrites = false, CancellationToken cancellationToken = default)
    {
        Validate(actor, reason, scope);
        var inner = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return new SupportConnection(inner, actor, reason, scope, allowWrites);
    }

    private static void Validate(string actor, string reason, SupportScope scope)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(reason);
        ArgumentNullException.ThrowIfNull(scope);
        if (string.IsNullOrWhiteSpace(actor) || actor.Length > 256 || actor.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("The actor must be 1 to 256 characters, not only whitespace, without NUL: name the operator who opens the session.", nameof(actor));
        }

        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 4096 || reason.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("The reason must be 1 to 4096 characters, not only whitespace, without NUL: say why the session is needed (a ticket, a task).", nameof(reason));
        }
    }
}
