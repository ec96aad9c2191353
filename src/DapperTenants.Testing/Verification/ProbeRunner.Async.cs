using System.Globalization;
using Npgsql;

namespace DapperTenants.Testing.Verification;

internal sealed partial class ProbeRunner
{
    public async Task<List<AuditFinding>> RunAsync(TablePlan plan, CancellationToken cancellationToken)
    {
        var findings = new List<AuditFinding>();
        if (plan.Unseedable is not null)
        {
            findings.Add(plan.CannotSeed());
            return findings;
        }

        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            try
            {
                var keyOfA = await SeedAsync(transaction, plan, plan.TenantA, "A", findings, cancellationToken).ConfigureAwait(false);
                if (keyOfA is null || await SeedAsync(transaction, plan, plan.TenantB, "B", findings, cancellationToken).ConfigureAwait(false) is null)
                {
                    return findings;
                }

                foreach (var probe in plan.Probes(keyOfA))
                {
                    await transaction.SaveAsync(Savepoint, cancellationToken).ConfigureAwait(false);
                    var outcomes = new List<Outcome>();
                    foreach (var step in probe.Steps)
                    {
                        var outcome = await ExecuteAsync(transaction, step, cancellationToken).ConfigureAwait(false);
                        outcomes.Add(outcome);
                        if (outcome.Error is not null)
                        {
                            break;
                        }
                    }

                    await transaction.RollbackAsync(Savepoint, cancellationToken).ConfigureAwait(false);
                    await transaction.ReleaseAsync(Savepoint, cancellationToken).ConfigureAwait(false);
                    if (probe.Judge(outcomes) is { } finding)
                    {
                        findings.Add(finding);
                    }
                }

                return findings;
            }
            finally
            {
                // Not the caller's token: the seeded rows must go even when the run is cancelled.
                await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private async Task<string?[]?> SeedAsync(
        NpgsqlTransaction transaction, TablePlan plan, string tenant, string which, List<AuditFinding> findings, CancellationToken cancellationToken)
    {
        await transaction.SaveAsync(Savepoint, cancellationToken).ConfigureAwait(false);
        try
        {
            await SetContextAsync(transaction, tenant, cancellationToken).ConfigureAwait(false);
            var command = Command(transaction, plan.Seed(tenant));
            await using (command.ConfigureAwait(false))
            {
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    var key = await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Values(reader) : [];
                    await reader.CloseAsync().ConfigureAwait(false);
                    await transaction.ReleaseAsync(Savepoint, cancellationToken).ConfigureAwait(false);
                    return key;
                }
            }
        }
        catch (PostgresException ex)
        {
            await transaction.RollbackAsync(Savepoint, cancellationToken).ConfigureAwait(false);
            await transaction.ReleaseAsync(Savepoint, cancellationToken).ConfigureAwait(false);
            findings.Add(plan.SeedFailed(which, ex));
            return null;
        }
    }

    private async Task<Outcome> ExecuteAsync(NpgsqlTransaction transaction, ProbeStep step, CancellationToken cancellationToken)
    {
        try
        {
            await SetContextAsync(transaction, step.Tenant, cancellationToken).ConfigureAwait(false);
            var command = Command(transaction, step.Statement);
            await using (command.ConfigureAwait(false))
            {
                return step.Query
                    ? new Outcome(Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture), null)
                    : new Outcome(await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false), null);
            }
        }
        catch (PostgresException ex)
        {
            return new Outcome(0, ex);
        }
    }

    private async Task SetContextAsync(NpgsqlTransaction transaction, string? tenant, CancellationToken cancellationToken)
    {
        var command = ContextCommand(transaction, tenant);
        await using (command.ConfigureAwait(false))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
