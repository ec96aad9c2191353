using DapperTenants.Catalog;
using DapperTenants.Policies;
using Npgsql;

namespace DapperTenants;

/// <content>The opt-in hardening: what the app login may do besides reading and writing rows.</content>
public sealed partial class PolicyInstaller
{
    private HardeningModel _hardening = HardeningModel.Off;

    /// <summary>
    /// Also takes from PUBLIC and the <see cref="GrantTo"/> roles what lets SQL running as the app login get around
    /// the policies or the guard: <c>TEMPORARY</c> on the database (temporary objects outlive a lease and hold SQL the
    /// guard cannot see), <c>CREATE</c> on the tables' schemas (objects that shadow the application's), and
    /// <c>EXECUTE</c> on the built-ins that run a query given as text (<c>query_to_xml</c> and kin, <c>ts_stat</c>,
    /// <c>ts_rewrite</c>, <c>cursor_to_xml</c>).
    /// </summary>
    /// <param name="temporaryRoles">Roles that keep <c>TEMPORARY</c> (migrations, reporting): granted it directly once PUBLIC loses it.</param>
    /// <returns>This installer.</returns>
    /// <exception cref="ArgumentException">A role name is empty, too long, or contains NUL.</exception>
    /// <remarks>
    /// <para>
    /// Each change needs its own right: the database's owner changes its grants, a schema's owner its grants, and only
    /// a superuser the built-ins' (they belong to the bootstrap superuser). Planning and applying make the changes the
    /// installer's login may make, and turn the others into warnings with the exact statements to run and as whom.
    /// <see cref="Script()"/> does the same at run time: each change is made where the script's login may make it, and
    /// a <c>WARNING</c> says what to run where it may not.
    /// </para>
    /// <para>
    /// The installer renders expressions in temporary tables: as the tables' owner it usually owns the database and
    /// keeps <c>TEMPORARY</c>; otherwise pass its role here.
    /// </para>
    /// </remarks>
    public PolicyInstaller Harden(params string[] temporaryRoles)
    {
        ArgumentNullException.ThrowIfNull(temporaryRoles);
        foreach (var role in temporaryRoles)
        {
            ArgumentNullException.ThrowIfNull(role, nameof(temporaryRoles));
            if (Identifiers.Problem(role) is { } problem)
            {
                throw new ArgumentException($"The role name {Identifiers.Display(role)} {problem}.", nameof(temporaryRoles));
            }
        }

        _hardening = new HardeningModel(true, [.. _hardening.TemporaryRoles.Concat(temporaryRoles).Distinct()]);
        return this;
    }

    private PolicyPlan WithHardening(PolicyPlan plan, HardeningCatalog? catalog, string[] roles, string installer)
    {
        if (catalog is null)
        {
            return plan;
        }

        var (steps, warnings) = HardeningPlanner.Plan(catalog, _hardening, roles, installer);
        return new PolicyPlan([.. plan.Steps, .. steps], [.. plan.Warnings, .. warnings], plan.Errors);
    }

    private HardeningCatalog? ReadHardening(NpgsqlConnection connection, IReadOnlyList<TableModel> models, string[] roles) =>
        _hardening.Enabled ? CatalogReader.ReadHardening(connection, [.. models.Select(m => m.Schema)], roles) : null;

    private async Task<HardeningCatalog?> ReadHardeningAsync(
        NpgsqlConnection connection, IReadOnlyList<TableModel> models, string[] roles, CancellationToken cancellationToken) =>
        _hardening.Enabled
            ? await CatalogReader.ReadHardeningAsync(connection, [.. models.Select(m => m.Schema)], roles, cancellationToken).ConfigureAwait(false)
            : null;
}
