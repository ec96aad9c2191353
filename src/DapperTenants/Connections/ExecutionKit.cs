using Npgsql;

namespace DapperTenants.Connections;

/// <summary>
/// What an execution sends, kept between executions: an <see cref="NpgsqlBatch"/> and its context statement. A command
/// or batch rents one from its data source's <see cref="ExecutionKitPool"/> and returns it once it is disposed and its
/// last reader is disposed too.
/// </summary>
/// <remarks>
/// Reuse across physical connections is safe: Npgsql's batch records which connection its statements were prepared on
/// and starts over when that changes, and the context statement is bound again before every execution.
/// </remarks>
internal sealed class ExecutionKit
{
    public ExecutionKit(ExecutionKitPool pool, NpgsqlBatchCommand context)
    {
        Pool = pool;
        Context = context;
    }

    /// <summary>The pool of the data source whose context statement this kit carries; it goes back there.</summary>
    public ExecutionKitPool Pool { get; }

    public NpgsqlBatch Batch { get; } = new();

    public NpgsqlBatchCommand Context { get; }

    /// <summary>Drops every reference to the caller and the connection before the kit goes back to the pool.</summary>
    public void Clear()
    {
        Batch.BatchCommands.Clear();
        Batch.Transaction = null;
        Batch.Connection = null;
    }
}
