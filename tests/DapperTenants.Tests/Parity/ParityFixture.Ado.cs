using System.Data;
using System.Data.Common;

namespace DapperTenants.Tests.Parity;

/// <summary>ADO.NET calls in the fixture's sync or async form, so an ADO.NET case reads as one sequence of steps.</summary>
public abstract partial class ParityFixture
{
    /// <summary>A command on <paramref name="connection"/>; each parameter is (name or null for a positional one, value).</summary>
    protected static DbCommand Command(DbConnection connection, string sql, params (string? Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            Parameter(command, name, value);
        }

        return command;
    }

    protected static DbParameter Parameter(DbCommand command, string? name, object? value, ParameterDirection direction = ParameterDirection.Input, DbType? type = null)
    {
        var parameter = command.CreateParameter();
        if (name is not null)
        {
            parameter.ParameterName = name;
        }

        parameter.Value = value ?? DBNull.Value;
        parameter.Direction = direction;
        if (type is { } dbType)
        {
            parameter.DbType = dbType;
        }

        command.Parameters.Add(parameter);
        return parameter;
    }

    protected async Task<DbDataReader> ReaderAsync(DbCommand command, CommandBehavior behavior = CommandBehavior.Default) =>
        Async ? await command.ExecuteReaderAsync(behavior) : command.ExecuteReader(behavior);

    protected async Task<object?> ScalarAsync(DbCommand command) => Async ? await command.ExecuteScalarAsync() : command.ExecuteScalar();

    protected async Task<int> NonQueryAsync(DbCommand command) => Async ? await command.ExecuteNonQueryAsync() : command.ExecuteNonQuery();

    protected async Task<bool> ReadAsync(DbDataReader reader) => Async ? await reader.ReadAsync() : reader.Read();

    protected async Task<bool> NextResultAsync(DbDataReader reader) => Async ? await reader.NextResultAsync() : reader.NextResult();

    /// <summary>Reads the rest of the current result, each row described as one text.</summary>
    protected async Task<List<string>> RowsAsync(DbDataReader reader)
    {
        var rows = new List<string>();
        while (await ReadAsync(reader))
        {
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            rows.Add(Outcome.Describe(values));
        }

        return rows;
    }

    /// <summary>Reads every result: its field count and rows, then the reader's records affected.</summary>
    protected async Task<(List<string> Results, int RecordsAffected)> AllResultsAsync(DbDataReader reader)
    {
        var results = new List<string>();
        do
        {
            results.Add($"{reader.FieldCount} fields: " + string.Join(" ", await RowsAsync(reader)));
        }
        while (await NextResultAsync(reader));

        return (results, reader.RecordsAffected);
    }

    protected async Task DisposeAsync(IAsyncDisposable disposable)
    {
        if (Async)
        {
            await disposable.DisposeAsync();
        }
        else
        {
            ((IDisposable)disposable).Dispose();
        }
    }

    protected async Task CloseAsync(DbDataReader reader)
    {
        if (Async)
        {
            await reader.CloseAsync();
        }
        else
        {
            reader.Close();
        }
    }

    protected async Task<DbTransaction> BeginAsync(DbConnection connection, IsolationLevel level = IsolationLevel.Unspecified) =>
        Async ? await connection.BeginTransactionAsync(level) : connection.BeginTransaction(level);

    protected async Task CommitAsync(DbTransaction transaction)
    {
        if (Async)
        {
            await transaction.CommitAsync();
        }
        else
        {
            transaction.Commit();
        }
    }

    protected async Task RollbackAsync(DbTransaction transaction)
    {
        if (Async)
        {
            await transaction.RollbackAsync();
        }
        else
        {
            transaction.Rollback();
        }
    }

    /// <summary>How many of acme's seeded rows the connection sees, and the tenant setting its statements run under.</summary>
    protected async Task<string> TenantSeenAsync(DbConnection connection, DbTransaction? transaction = null)
    {
        const string sql = "select count(*) || ' rows, tenant ' || coalesce(current_setting('dapper_tenants.tenant', true), '<none>') from orders where id < 10000";
        return Async
            ? await connection.ExecuteScalarAsync<string>(sql, transaction: transaction) ?? "null"
            : connection.ExecuteScalar<string>(sql, transaction: transaction) ?? "null";
    }
}
