namespace DapperTenants;

/// <content>Citus mode: the script's policies in the form Citus accepts, and the tables distributed by the tenant column.</content>
public sealed partial class PolicyInstaller
{
    private readonly TenantContextScope _contextScope;
    private bool _citus;

    /// <summary>
    /// Makes <see cref="Script()"/> write DDL for a Citus cluster (run it on the coordinator): the policies without their
    /// sub-select, which Citus refuses on a distributed table; each tenant-owned table distributed by its tenant column
    /// with <c>create_distributed_table</c>, co-located with the first registered table of the same tenant type; each
    /// <see cref="RlsAttribute.SharedRows"/> table made a reference table with <c>create_reference_table</c>; and
    /// <c>ALTER ROLE … SET citus.propagate_set_commands = 'local'</c> for each <see cref="GrantTo"/> role.
    /// </summary>
    /// <returns>This installer.</returns>
    /// <remarks>
    /// <para>
    /// <b>Not verified against Citus</b>: the DDL is written from Citus's documentation and source (docs/scale-out.md);
    /// run docs/citus-isolation-checklist.sql on your cluster.
    /// </para>
    /// <para>
    /// <b>The tenant context in Citus mode is not built.</b> Citus sends the tenant to the workers only as
    /// <c>SET LOCAL</c> inside a transaction block; <see cref="TenantConnection"/> still sends <c>set_config</c>, which
    /// Citus does not propagate, so on a distributed table such a connection sees no rows (it fails closed).
    /// </para>
    /// <para>
    /// Only <see cref="Script()"/> supports Citus mode: <see cref="PlanAsync"/>, <see cref="ApplyAsync"/> and their
    /// twins throw <see cref="InvalidOperationException"/>, because they compare the database with the usual form of the
    /// policies and would replace the Citus form. The signed context (<see cref="UseSignedContext"/>,
    /// <see cref="RetireSigningKey"/>, <see cref="TenantOptions.SigningKey"/>) and
    /// <see cref="TenantContextScope.Session"/> cannot work on Citus yet: <see cref="Script()"/> refuses them with
    /// Citus mode.
    /// </para>
    /// <para>
    /// Re-runnable: a table already in <c>pg_dist_partition</c> is not distributed again (and is left as it is, even
    /// when distributed by another column). Primary keys and unique constraints must include the tenant column, and
    /// referenced tables must be registered before the tables that reference them.
    /// </para>
    /// </remarks>
    public PolicyInstaller UseCitus()
    {
        _citus = true;
        return this;
    }

    private void ThrowIfCitusConflicts()
    {
        if (!_citus)
        {
            return;
        }

        if (SignedModel().Touched)
        {
            throw new InvalidOperationException(
                "PolicyInstaller.UseCitus() cannot be combined with the signed context (UseSignedContext, RetireSigningKey or "
                + "TenantOptions.SigningKey): on Citus the token would travel as a literal in SET LOCAL, readable in pg_stat_activity "
                + "on every node, and the verifier's needs there are not built. Use the plain tenant setting with Citus, or leave out UseCitus().");
        }

        if (_contextScope == TenantContextScope.Session)
        {
            throw new InvalidOperationException(
                "PolicyInstaller.UseCitus() cannot be combined with TenantOptions.ContextScope = TenantContextScope.Session: Citus never "
                + "sends a session SET to the workers, so Citus mode needs TenantContextScope.Transaction. Pass options with the default scope.");
        }
    }

    private void RefuseCitusOnDatabase()
    {
        if (_citus)
        {
            throw new InvalidOperationException(
                "PolicyInstaller.UseCitus() is supported by Script() only: Plan, Apply and their async twins compare the database with "
                + "the usual form of the policies (with a sub-select, which Citus refuses on a distributed table), would replace the "
                + "Citus form, and do not check how the tables are distributed. Run the output of Script() (dapper-tenants script --citus) "
                + "on the Citus coordinator instead.");
        }
    }
}
