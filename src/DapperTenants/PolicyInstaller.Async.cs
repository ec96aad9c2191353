using DapperTenants.Catalog;
using DapperTenants.Policies;
using Npgsql;

namespace DapperTenants;

/// <content>The asynchronous twins of <see cref="Plan"/> and <see cref="Apply"/>.</content>
public sealed partial class PolicyInstaller
{
    /// <summary>Compares the database with the registered types and returns what applying would do, changing nothing.</summary>
    /// <param name="cancellationToken">Cancels the catalog queries.</param>
    /// <returns>The plan.</returns>
    /// <exception cref="RlsModelException">A registered type cannot be turned into a policy.</exception>
    /// <exception cref="InvalidOperationException">The installer is connected to a standby server, or <see cref="UseCitus"/> was called (Citus mode is supported by <see cref="Script()"/> only).</exception>
    public async Task<PolicyPlan> PlanAsync(CancellationToken cancellationToken = default)
    {
        var (models, roles, signed) = Snapshot();
        var connection = await _ownerDataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await RefuseStandbyAsync(connection, cancellationToken).ConfigureAwait(false);
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var plan = await PlanOnAsync(connection, models, roles, signed, cancellationToken).ConfigureAwait(false);
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return plan;
            }
        }
    }

    /// <summary>Plans and applies, in one transaction under an advisory lock, and returns the plan that was applied.</summary>
    /// <param name="cancellationToken">Cancels the work; nothing is applied unless the transaction committed.</param>
    /// <returns>The applied plan; <see cref="PolicyPlan.IsEmpty"/> when there was nothing to do (no DDL is then sent).</returns>
    /// <exception cref="RlsModelException">A registered type cannot be turned into a policy, or the plan has errors (nothing is applied).</exception>
    /// <exception cref="InvalidOperationException">The installer is connected to a standby server, or <see cref="UseCitus"/> was called (Citus mode is supported by <see cref="Script()"/> only).</exception>
    /// <remarks>Safe to call from several application instances at once: they take turns, and only the first one changes anything.</remarks>
    public async Task<PolicyPlan> ApplyAsync(CancellationToken cancellationToken = default)
    {
        var (models, roles, signed) = Snapshot();
        var connection = await _ownerDataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await RefuseStandbyAsync(connection, cancellationToken).ConfigureAwait(false);
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await ExecuteAsync(connection, PolicySql.LockStatement, cancellationToken).ConfigureAwait(false);
                var plan = await PlanOnAsync(connection, models, roles, signed, cancellationToken).ConfigureAwait(false);
                ThrowIfErrors(plan);
                if (plan.Steps.Count > 0)
                {
                    var batch = CreateBatch(connection, plan);
                    await using (batch.ConfigureAwait(false))
                    {
                        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return plan;
            }
        }
    }

    private async Task<PolicyPlan> PlanOnAsync(
        NpgsqlConnection connection, IReadOnlyList<TableModel> models, string[] roles, SignedContextModel signed, CancellationToken cancellationToken)
    {
        var catalog = await CatalogReader.ReadForInstallerAsync(connection, Request(models), roles, cancellationToken).ConfigureAwait(false);
        var signedCatalog = signed.Touched
            ? await SignedContextCatalogReader.ReadAsync(connection, signed, roles, cancellationToken).ConfigureAwait(false)
            : null;
        var first = PolicyPlanner.Plan(models, catalog, _settingName, roles, NoRenderings, signed.Signed);
        var plan = first.Plan;
        if (first.Unconfirmed.Count > 0 && CanRender(signed, signedCatalog))
        {
            var rendered = await ExpressionRenderer.RenderAsync(connection, first.Unconfirmed, _settingName, signed.Signed, cancellationToken).ConfigureAwait(false);
            plan = PolicyPlanner.Plan(models, catalog, _settingName, roles, rendered, signed.Signed).Plan;
        }

        var registry = await ReadRegistryAsync(connection, _registry, roles, cancellationToken).ConfigureAwait(false);
        var hardening = await ReadHardeningAsync(connection, models, roles, cancellationToken).ConfigureAwait(false);
        var combined = WithRegistry(Combine(plan, signed, signedCatalog, roles, catalog.CurrentUser), _registry, registry, roles, catalog.CurrentUser);
        var support = await ReadSupportAsync(connection, models, cancellationToken).ConfigureAwait(false);
        return WithSupport(
            WithHardening(combined, hardening, roles, catalog.CurrentUser), support, models, roles, catalog.CurrentUser, signed.Signed || signedCatalog is { VerifierExists: true });
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection);
        await using (command.ConfigureAwait(false))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
