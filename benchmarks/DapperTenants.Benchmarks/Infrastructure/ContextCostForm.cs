using Npgsql;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>One <c>contextcost</c> form: what it sends per operation on its own connection, and the reference it is compared with.</summary>
internal sealed class ContextCostForm
{
    private ContextCostForm(string name, string situation, string? reference, Variant variant)
    {
        Name = name;
        Situation = situation;
        Reference = reference;
        Variant = variant;
    }

    public string Name { get; }

    public string Situation { get; }

    /// <summary>The form without the context statement, or null for a reference.</summary>
    public string? Reference { get; }

    public Variant Variant { get; }

    /// <summary>
    /// One round trip per operation: a batch of [the context statement, <c>select 1</c>] (or <c>select 1</c> alone), outside a
    /// transaction or as the first statements of an explicit one (Npgsql sends the <c>BEGIN</c> in the same round trip,
    /// the commit in a second).
    /// </summary>
    public static ContextCostForm Batch(string name, string situation, string? reference, NpgsqlConnection connection, bool prepared, bool transaction,
        ContextStatement context = ContextStatement.None, string setting = "", Func<int, string>? value = null)
    {
        if (context == ContextStatement.SetLocal && prepared)
        {
            throw new ArgumentException("A SET LOCAL with a literal differs per tenant: it is measured unprepared only.", nameof(prepared));
        }

        var kept = prepared ? Build(connection, context, setting, value?.Invoke(0)) : null;
        kept?.Prepare();
        bool Run(int i)
        {
            var batch = kept ?? Build(connection, context, setting, value?.Invoke(i));
            try
            {
                if (kept is not null && context == ContextStatement.SetConfig)
                {
                    ((NpgsqlParameter<string>)kept.BatchCommands[0].Parameters[0]).TypedValue = value!(i);
                }

                using var tx = transaction ? connection.BeginTransaction() : null;
                batch.Transaction = tx;
                var ok = ReadsOne(batch);
                tx?.Commit();
                return ok;
            }
            finally
            {
                if (kept is null)
                {
                    batch.Dispose();
                }
            }
        }

        return new ContextCostForm(name, situation, reference, new Variant(name, Run, () => connection.ProcessID));
    }

    /// <summary>A point query by primary key on a connection whose setting was set once for the session.</summary>
    public static ContextCostForm Point(string name, string situation, string? reference, NpgsqlConnection connection, string setting, string value, string sql, OrderKey[] keys, bool prepared)
    {
        SetForSession(connection, setting, value);
        var command = new NpgsqlCommand(sql, connection) { Parameters = { new NpgsqlParameter<long> { TypedValue = keys[0].Id } } };
        if (prepared)
        {
            command.Prepare();
        }

        bool Run(int i)
        {
            var key = keys[i & 4095];
            ((NpgsqlParameter<long>)command.Parameters[0]).TypedValue = key.Id;
            using var reader = command.ExecuteReader();
            return reader.Read() && reader.GetInt64(0) == key.Id && reader.GetString(1) == key.Tenant;
        }

        return new ContextCostForm(name, situation, reference, new Variant(name, Run, () => connection.ProcessID));
    }

    /// <summary>
    /// One statement without parameters per operation, on a connection whose setting was set once for the session; with
    /// <paramref name="statementsPerTransaction"/> above 1, that many operations share one explicit transaction.
    /// </summary>
    public static ContextCostForm Scalar(string name, string situation, string? reference, NpgsqlConnection connection, string setting, string value, string sql,
        int statementsPerTransaction = 1)
    {
        SetForSession(connection, setting, value);
        NpgsqlTransaction? transaction = null;
        bool Run(int i)
        {
            if (statementsPerTransaction > 1 && transaction is null)
            {
                transaction = connection.BeginTransaction();
            }

            using var command = new NpgsqlCommand(sql, connection, transaction);
            var ok = command.ExecuteScalar() is not null;
            if (transaction is not null && (i + 1) % statementsPerTransaction == 0)
            {
                transaction.Commit();
                transaction.Dispose();
                transaction = null;
            }

            return ok;
        }

        return new ContextCostForm(name, situation, reference, new Variant(name, Run, () => connection.ProcessID));
    }

    private static void SetForSession(NpgsqlConnection connection, string setting, string value)
    {
        using var set = new NpgsqlCommand("select set_config($1, $2, false)", connection);
        set.Parameters.Add(new NpgsqlParameter<string> { TypedValue = setting });
        set.Parameters.Add(new NpgsqlParameter<string> { TypedValue = value });
        set.ExecuteNonQuery();
    }

    private static NpgsqlBatch Build(NpgsqlConnection connection, ContextStatement context, string setting, string? value)
    {
        var batch = new NpgsqlBatch(connection);
        switch (context)
        {
            case ContextStatement.SetConfig:
                batch.BatchCommands.Add(new NpgsqlBatchCommand($"select set_config('{setting}', $1, true)")
                {
                    Parameters = { new NpgsqlParameter<string> { TypedValue = value } },
                });
                break;
            case ContextStatement.SetLocal:
                // A literal: only for values that are safe by construction (the benchmark's tenants, a token's alphabet).
                if (value is null || !value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '.'))
                {
                    throw new InvalidOperationException($"contextcost: '{value}' is not safe as a literal.");
                }

                batch.BatchCommands.Add(new NpgsqlBatchCommand($"set local {setting} = '{value}'"));
                break;
            default:
                break;
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand("select 1"));
        return batch;
    }

    // The last result must be select 1's single row.
    private static bool ReadsOne(NpgsqlBatch batch)
    {
        using var reader = batch.ExecuteReader();
        var value = 0;
        do
        {
            while (reader.Read())
            {
                value = reader.FieldCount == 1 && reader.GetFieldType(0) == typeof(int) ? reader.GetInt32(0) : 0;
            }
        }
        while (reader.NextResult());

        return value == 1;
    }
}
