using System.Data;
using System.Data.Common;
using Npgsql;

namespace DapperTenants.Connections;

/// <summary>A transaction on a <see cref="TenantConnection"/>; its <see cref="DbTransaction.Connection"/> is the tenant connection.</summary>
internal sealed class TenantTransaction : DbTransaction
{
    private readonly TenantConnection _connection;
    private bool _completed;

    public TenantTransaction(TenantConnection connection, NpgsqlTransaction inner)
    {
        _connection = connection;
        Inner = inner;
    }

    public NpgsqlTransaction Inner { get; }

    public bool IsCompleted => _completed;

    public override IsolationLevel IsolationLevel => Inner.IsolationLevel;

    protected override DbConnection? DbConnection => _completed ? null : _connection;

    public override bool SupportsSavepoints => true;

    public override void Commit()
    {
        Inner.Commit();
        End(committed: true);
    }

    public override async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        await Inner.CommitAsync(cancellationToken).ConfigureAwait(false);
        End(committed: true);
    }

    public override void Rollback()
    {
        try
        {
            Inner.Rollback();
        }
        finally
        {
            End(committed: false);
        }
    }

    public override async Task RollbackAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await Inner.RollbackAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            End(committed: false);
        }
    }

    public override void Save(string savepointName) => Inner.Save(savepointName);

    public override Task SaveAsync(string savepointName, CancellationToken cancellationToken = default) =>
        Inner.SaveAsync(savepointName, cancellationToken);

    // A rollback to a savepoint can undo the statement that set the tenant: the next statement carries it again.
    public override void Rollback(string savepointName)
    {
        _connection.Context.Forget();
        Inner.Rollback(savepointName);
    }

    public override Task RollbackAsync(string savepointName, CancellationToken cancellationToken = default)
    {
        _connection.Context.Forget();
        return Inner.RollbackAsync(savepointName, cancellationToken);
    }

    public override void Release(string savepointName) => Inner.Release(savepointName);

    public override Task ReleaseAsync(string savepointName, CancellationToken cancellationToken = default) =>
        Inner.ReleaseAsync(savepointName, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Inner.Dispose();
            End(committed: false);
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await Inner.DisposeAsync().ConfigureAwait(false);
        End(committed: false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Ends this object when SQL text (<c>COMMIT</c>, <c>ROLLBACK</c>) ended the server transaction, as Npgsql's own transaction object notices.</summary>
    public void EndIfEndedOnServer()
    {
        if (_completed)
        {
            return;
        }

        try
        {
            // Npgsql's transaction refuses this once the server transaction is over.
            _ = Inner.IsolationLevel;
        }
        catch (InvalidOperationException)
        {
            End(committed: false);
        }
    }

    private void End(bool committed)
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        _connection.TransactionEnded(this, committed);
    }
}
