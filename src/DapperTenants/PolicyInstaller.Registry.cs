using DapperTenants.Policies;
using Npgsql;

namespace DapperTenants;

/// <content>The tenant registry: its table, its grants and the optional function that registers a missing tenant.</content>
public sealed partial class PolicyInstaller
{
    private RegistryModel _registry = RegistryModel.Off;

    /// <summary>
    /// Also installs the tenant registry that <see cref="TenantRegistry"/> manages and
    /// <see cref="TenantOptions.RequireRegisteredTenant"/> reads: a table <c>dapper_tenants.tenants</c> (identifier,
    /// state, when created, when and why disabled) owned by the installer's login, which the <see cref="GrantTo"/> roles
    /// may read and nobody else may change.
    /// </summary>
    /// <returns>This installer.</returns>
    /// <remarks>Same as <c>UseTenantRegistry(TenantRegistryAccess.ReadOnly)</c>: the app login cannot register tenants.</remarks>
    public PolicyInstaller UseTenantRegistry() => UseTenantRegistry(TenantRegistryAccess.ReadOnly);

    /// <summary>Also installs the tenant registry (see <see cref="UseTenantRegistry()"/>), with what the app login may do with it.</summary>
    /// <param name="appAccess">
    /// <see cref="TenantRegistryAccess.ReadOnly"/>, or <see cref="TenantRegistryAccess.CreateIfMissing"/> to install the
    /// <c>SECURITY DEFINER</c> function <c>dapper_tenants.create_missing_tenant(text)</c> that <see cref="TenantOptions.CreateIfMissing"/> calls,
    /// executable by the <see cref="GrantTo"/> roles only.
    /// </param>
    /// <returns>This installer.</returns>
    /// <exception cref="ArgumentException"><paramref name="appAccess"/> is not a defined value.</exception>
    /// <remarks>
    /// <para>
    /// The plan takes from every role but the owner (PUBLIC included) any right to change the table, table or column
    /// grants alike and whoever granted them (default privileges included), and, with <see cref="TenantRegistryAccess.ReadOnly"/>,
    /// drops the function if an earlier run installed it. Other roles' <c>SELECT</c> stays: the registry is metadata
    /// (tenant identifiers and states), readable by the app login whatever tenant it serves, never a tenant's rows.
    /// </para>
    /// <para>The registry shares the schema <c>dapper_tenants</c> with the signed context; the installer's login must own it.</para>
    /// </remarks>
    public PolicyInstaller UseTenantRegistry(TenantRegistryAccess appAccess)
    {
        if (!Enum.IsDefined(appAccess))
        {
            throw new ArgumentException(
                $"The registry access {(int)appAccess} is not defined. Use TenantRegistryAccess.ReadOnly or TenantRegistryAccess.CreateIfMissing.", nameof(appAccess));
        }

        _registry = new RegistryModel(true, appAccess == TenantRegistryAccess.CreateIfMissing);
        return this;
    }

    private static PolicyPlan WithRegistry(PolicyPlan plan, RegistryModel model, RegistryCatalog? catalog, string[] roles, string installer)
    {
        if (catalog is null)
        {
            return plan;
        }

        var planned = plan.Steps.SelectMany(s => s.Statements).ToHashSet(StringComparer.Ordinal);
        var (steps, warnings, errors) = RegistryPlanner.Plan(model, catalog, roles, installer, planned);
        return new PolicyPlan([.. plan.Steps, .. steps], [.. plan.Warnings, .. warnings], [.. plan.Errors, .. errors]);
    }

    private static RegistryCatalog? ReadRegistry(NpgsqlConnection connection, RegistryModel model, string[] roles) =>
        model.Enabled ? RegistryCatalogReader.Read(connection, roles) : null;

    private static async Task<RegistryCatalog?> ReadRegistryAsync(
        NpgsqlConnection connection, RegistryModel model, string[] roles, CancellationToken cancellationToken) =>
        model.Enabled ? await RegistryCatalogReader.ReadAsync(connection, roles, cancellationToken).ConfigureAwait(false) : null;
}
