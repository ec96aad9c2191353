using DapperTenants.Policies;
using Npgsql;

namespace DapperTenants;

/// <content>Support access: the access log, its functions, and the support role's policies on every protected table.</content>
public sealed partial class PolicyInstaller
{
    private SupportModel _support = SupportModel.Off;

    /// <summary>
    /// Also installs audited support access for <paramref name="supportRole"/>, the path <see cref="SupportDataSource"/>
    /// uses: an append-only log <c>dapper_tenants.access_log</c> owned by the installer's login, the <c>SECURITY DEFINER</c>
    /// function <c>dapper_tenants.begin_support_session</c> through which the support role (and nobody else) writes it, the
    /// append-only write log <c>dapper_tenants.access_log_writes</c> and its function <c>dapper_tenants.log_support_write</c>,
    /// and on every registered table policies that admit the support role to the tenants of its own logged session only
    /// (and its writes only in a transaction that logged a write of that session).
    /// </summary>
    /// <param name="supportRole">
    /// The support role: a <c>NOLOGIN</c> group, neither superuser nor <c>BYPASSRLS</c>, owner of nothing, that the
    /// operators' logins are members of (never the application's login). It must exist.
    /// </param>
    /// <returns>This installer.</returns>
    /// <exception cref="ArgumentException">The role name is empty, too long, or contains NUL.</exception>
    /// <remarks>
    /// <para>
    /// The support role is granted <c>SELECT, INSERT, UPDATE, DELETE</c> on each registered table; its policies admit no row
    /// until its session has written a committed log row, then only the rows of the tenants that row names (or every
    /// tenant, when it says so), and writes only when the row allows them. A restrictive policy keeps it inside that scope
    /// even if it sets the tenant setting itself. Nobody but the owner may read or change the log, or execute the functions,
    /// but the support role, which may only execute them.
    /// </para>
    /// <para>
    /// Partitions are not given the support policies: never grant the support role privileges on a partition, which it
    /// could then query directly under the partition's own policies. See docs/support-access.md.
    /// </para>
    /// </remarks>
    public PolicyInstaller UseSupportAccess(string supportRole)
    {
        ArgumentNullException.ThrowIfNull(supportRole);
        if (Identifiers.Problem(supportRole) is { } problem)
        {
            throw new ArgumentException($"The role name {Identifiers.Display(supportRole)} {problem}.", nameof(supportRole));
        }

        _support = new SupportModel(supportRole);
        return this;
    }

    private PolicyPlan WithSupport(PolicyPlan plan, SupportCatalog? catalog, IReadOnlyList<TableModel> models, string[] roles, string installer, bool signed)
    {
        if (catalog is null || _support.Role is not { } role)
        {
            return plan;
        }

        var planned = plan.Steps.SelectMany(s => s.Statements).ToHashSet(StringComparer.Ordinal);
        var (steps, warnings, errors) = SupportPlanner.Plan(role, catalog, models, roles, installer, planned, signed);
        return new PolicyPlan([.. plan.Steps, .. steps], [.. plan.Warnings, .. warnings], [.. plan.Errors, .. errors]);
    }

    private SupportCatalog? ReadSupport(NpgsqlConnection connection, IReadOnlyList<TableModel> models) =>
        _support.Role is { } role ? SupportCatalogReader.Read(connection, role, [.. models.Select(m => m.QualifiedName)]) : null;

    private async Task<SupportCatalog?> ReadSupportAsync(NpgsqlConnection connection, IReadOnlyList<TableModel> models, CancellationToken cancellationToken) =>
        _support.Role is { } role
            ? await SupportCatalogReader.ReadAsync(connection, role, [.. models.Select(m => m.QualifiedName)], cancellationToken).ConfigureAwait(false)
            : null;
}
