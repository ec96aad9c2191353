using System.Data;
using System.Data.Common;
using System.Globalization;
using Npgsql;

namespace DapperTenants.Tests.Reliability;

/// <summary>Sends an attack's statement along one execution path, synchronously or asynchronously, and collects every value it returns.</summary>
public static class AttackExecution
{
    /// <summary>Runs <paramref name="sql"/>; returns the values read (every field of every row of every result) and the error, if any.</summary>
    public static async Task<(List<string> Values, Exception? Error)> RunAsync(
        DbConnection connection, string sql, object? parameters, AttackTests.Via via, bool sync)
    {
        var values = new List<string>();
        try
        {
            await RunCoreAsync(connection, sql, parameters, via, sync, values);
            return (values, null);
        }
        catch (Exception ex)
        {
            return (values, ex);
        }
    }

    /// <summary>Runs <paramref name="sql"/> through Dapper's reader and returns the values; errors propagate.</summary>
    public static async Task<List<string>> ReadAsync(DbConnection connection, string sql, object? parameters, bool sync, DbTransaction? transaction = null)
    {
        var values = new List<string>();
        await RunCoreAsync(connection, sql, parameters, AttackTests.Via.Reader, sync, values, transaction);
        return values;
    }

    private static async Task RunCoreAsync(
        DbConnection connection, string sql, object? parameters, AttackTests.Via via, bool sync, List<string> values, DbTransaction? transaction = null)
    {
        switch (via)
        {
            case AttackTests.Via.Reader:
            case AttackTests.Via.StoredProcedure:
            {
                var type = via == AttackTests.Via.StoredProcedure ? CommandType.StoredProcedure : CommandType.Text;
                if (sync)
                {
                    using var reader = connection.ExecuteReader(sql, parameters, transaction, commandType: type);
                    ReadAll(reader, values);
                }
                else
                {
                    await using var reader = await connection.ExecuteReaderAsync(sql, parameters, transaction, commandType: type);
                    await ReadAllAsync(reader, values);
                }

                break;
            }

            case AttackTests.Via.Query:
                foreach (IDictionary<string, object?> row in sync ? connection.Query(sql, parameters) : await connection.QueryAsync(sql, parameters))
                {
                    values.AddRange(row.Values.Select(Text));
                }

                break;
            case AttackTests.Via.Execute:
                values.Add(Text(sync ? connection.Execute(sql, parameters) : await connection.ExecuteAsync(sql, parameters)));
                break;
            case AttackTests.Via.Scalar:
                values.Add(Text(sync ? connection.ExecuteScalar(sql, parameters) : await connection.ExecuteScalarAsync(sql, parameters)));
                break;
            case AttackTests.Via.Batch:
            {
                await using var batch = connection.CreateBatch();
                foreach (var statement in sql.Split(";\n"))
                {
                    var command = batch.CreateBatchCommand();
                    command.CommandText = statement;
                    foreach (var parameter in Parameters(parameters, named: true))
                    {
                        command.Parameters.Add(parameter);
                    }

                    batch.BatchCommands.Add(command);
                }

                if (sync)
                {
                    using var reader = batch.ExecuteReader();
                    ReadAll(reader, values);
                }
                else
                {
                    await using var reader = await batch.ExecuteReaderAsync();
                    await ReadAllAsync(reader, values);
                }

                break;
            }

            case AttackTests.Via.Prepared:
            case AttackTests.Via.Positional:
            {
                await using var command = connection.CreateCommand();
                command.CommandText = sql;
                foreach (var parameter in Parameters(parameters, named: via == AttackTests.Via.Prepared))
                {
                    command.Parameters.Add(parameter);
                }

                // Prepared: the same command twice, the second run binding the statement prepared on the server.
                var runs = via == AttackTests.Via.Prepared ? 2 : 1;
                if (via == AttackTests.Via.Prepared)
                {
                    if (sync)
                    {
                        command.Prepare();
                    }
                    else
                    {
                        await command.PrepareAsync();
                    }
                }

                for (var i = 0; i < runs; i++)
                {
                    if (sync)
                    {
                        using var reader = command.ExecuteReader();
                        ReadAll(reader, values);
                    }
                    else
                    {
                        await using var reader = await command.ExecuteReaderAsync();
                        await ReadAllAsync(reader, values);
                    }
                }

                break;
            }

            case AttackTests.Via.InnerConnection:
                await RunCoreAsync(((TenantConnection)connection).InnerConnection, sql, parameters, AttackTests.Via.Reader, sync, values);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(via), via, "unknown path");
        }
    }

    /// <summary>An anonymous object's properties as Npgsql parameters, named or positional (in declaration order).</summary>
    private static IEnumerable<NpgsqlParameter> Parameters(object? parameters, bool named) =>
        parameters is null
            ? []
            : parameters.GetType().GetProperties().Select(p => named ? new NpgsqlParameter(p.Name, p.GetValue(parameters)) : new NpgsqlParameter { Value = p.GetValue(parameters) });

    private static void ReadAll(IDataReader reader, List<string> values)
    {
        do
        {
            while (reader.Read())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    values.Add(Text(reader.GetValue(i)));
                }
            }
        }
        while (reader.NextResult());
    }

    private static async Task ReadAllAsync(DbDataReader reader, List<string> values)
    {
        do
        {
            while (await reader.ReadAsync())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    values.Add(Text(reader.GetValue(i)));
                }
            }
        }
        while (await reader.NextResultAsync());
    }

    private static string Text(object? value) => value switch
    {
        null or DBNull => string.Empty,
        byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
    };
}
