using Npgsql;
using NpgsqlTypes;

namespace DapperTenants.Testing.Verification;

/// <summary>
/// Runs a <see cref="TablePlan"/> on the app login inside one transaction that is always rolled back: seeds in
/// savepoints that are kept, probes in savepoints that are rolled back, so nothing is left behind and one failing
/// statement never stops the others.
/// </summary>
internal sealed partial class ProbeRunner(NpgsqlConnection connection, string settingName, Func<string, string> contextValue)
{
    private const string Savepoint = "dapper_tenants_verify";
    private const string ContextSql = "SELECT set_config($1, $2, true)";

    public List<AuditFinding> Run(TablePlan plan)
    {
        var findings = new List<AuditFinding>();
        if (plan.Unseedable is not null)
        {
            findings.Add(plan.CannotSeed());
            return findings;
        }

        using var transaction = connection.BeginTransaction();
        try
        {
            var keyOfA = Seed(transaction, plan, plan.TenantA, "A", findings);
            if (keyOfA is null || Seed(transaction, plan, plan.TenantB, "B", findings) is null)
            {
                return findings;
            }

            foreach (var probe in plan.Probes(keyOfA))
            {
                transaction.Save(Savepoint);
                var outcomes = new List<Outcome>();
                foreach (var step in probe.Steps)
                {
                    var outcome = Execute(transaction, step);
                    outcomes.Add(outcome);
                    if (outcome.Error is not null)
                    {
                        break;
                    }
                }

                transaction.Rollback(Savepoint);
                transaction.Release(Savepoint);
                if (probe.Judge(outcomes) is { } finding)
                {
                    findings.Add(finding);
                }
            }

            return findings;
        }
        finally
        {
            transaction.Rollback();
        }
    }

    private string?[]? Seed(NpgsqlTransaction transaction, TablePlan plan, string tenant, string which, List<AuditFinding> findings)
    {
        transaction.Save(Savepoint);
        try
        {
            SetContext(transaction, tenant);
            using var command = Command(transaction, plan.Seed(tenant));
            using var reader = command.ExecuteReader();
            var key = reader.Read() ? Values(reader) : [];
            reader.Close();
            transaction.Release(Savepoint);
            return key;
        }
        catch (PostgresException ex)
        {
            transaction.Rollback(Savepoint);
            transaction.Release(Savepoint);
            findings.Add(plan.SeedFailed(which, ex));
            return null;
        }
    }

    private Outcome Execute(NpgsqlTransaction transaction, ProbeStep step)
    {
        try
        {
            SetContext(transaction, step.Tenant);
            using var command = Command(transaction, step.Statement);
            return step.Query ? new Outcome(Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture), null) : new Outcome(command.ExecuteNonQuery(), null);
        }
        catch (PostgresException ex)
        {
            return new Outcome(0, ex);
        }
    }

    private void SetContext(NpgsqlTransaction transaction, string? tenant)
    {
        using var command = ContextCommand(transaction, tenant);
        command.ExecuteNonQuery();
    }

    private NpgsqlCommand ContextCommand(NpgsqlTransaction transaction, string? tenant) => new(ContextSql, connection, transaction)
    {
        Parameters = { new NpgsqlParameter { Value = settingName }, new NpgsqlParameter { Value = tenant is null ? string.Empty : contextValue(tenant) } },
    };

    private NpgsqlCommand Command(NpgsqlTransaction transaction, Statement statement)
    {
        var command = new NpgsqlCommand(statement.Sql, connection, transaction);
        foreach (var arg in statement.Args)
        {
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Unknown, Value = (object?)arg ?? DBNull.Value });
        }

        return command;
    }

    private static string?[] Values(NpgsqlDataReader reader)
    {
        var values = new string?[reader.FieldCount];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = reader.IsDBNull(i) ? null : reader.GetString(i);
        }

        return values;
    }
}
