using System.Globalization;
using Npgsql;

namespace DapperTenants.Registry;

/// <summary>The messages of the registry's exceptions: what happened, which tenant, which state, and the fix.</summary>
internal static class RegistryMessages
{
    public static TenantNotFoundException Refused(string tenant, TenantState? state, TimeSpan interval) => state switch
    {
        null => new TenantNotFoundException(
            $"Tenant '{tenant}' is not registered, and TenantOptions.RequireRegisteredTenant is on: no connection was opened for it. "
            + $"Register it as the tables' owner with TenantRegistry.CreateAsync(\"{tenant}\"), or check the value: tenants are compared exactly, "
            + "so case, whitespace and Unicode normalization matter.", tenant, null),
        TenantState.Disabled => new TenantNotFoundException(
            $"Tenant '{tenant}' is disabled in the tenant registry, and TenantOptions.RequireRegisteredTenant is on: no connection was opened for it. "
            + $"Enable it as the tables' owner with TenantRegistry.EnableAsync(\"{tenant}\"); data sources see the change within "
            + $"TenantOptions.RegistryRefreshInterval ({Seconds(interval)}).", tenant, state),
        _ => new TenantNotFoundException(
            $"Tenant '{tenant}' is purged in the tenant registry: its data was deleted, so no connection was opened for it, and its identifier "
            + "is not reused. Use another tenant value.", tenant, state),
    };

    public static TenantNotFoundException NotRegistered(string tenant) => new(
        $"Tenant '{tenant}' is not in the tenant registry. Register it with TenantRegistry.CreateAsync(\"{tenant}\"), or check the value: "
        + "tenants are compared exactly, so case, whitespace and Unicode normalization matter.", tenant, null);

    public static TenantAlreadyExistsException AlreadyExists(string tenant, TenantState state) => new(
        $"Tenant '{tenant}' is already in the tenant registry ({QueriesState(state)}). "
        + (state switch
        {
            TenantState.Active => "Nothing to do: it may open connections.",
            TenantState.Disabled => $"Enable it with TenantRegistry.EnableAsync(\"{tenant}\") instead.",
            _ => "Its data was purged and its identifier is not reused: use another tenant value.",
        }), tenant, state);

    public static InvalidOperationException Purged(string tenant, string action) => new(
        $"Tenant '{tenant}' is purged: its data was deleted, so it cannot be {action}. A purged identifier is not reused: use another tenant value.");

    public static TenantIsolationException Unreadable(string login, PostgresException e) => new(
        $"TenantOptions.RequireRegisteredTenant is on, but the login '{login}' cannot read the tenant registry {Catalog.RegistryNames.QualifiedTable} "
        + $"({e.SqlState}: {e.MessageText}). Install it as the tables' owner with PolicyInstaller.UseTenantRegistry() and GrantTo(\"{login}\").", e);

    public static TenantIsolationException CannotCreate(string login, PostgresException e) => new(
        $"TenantOptions.CreateIfMissing is on, but the login '{login}' cannot execute {Catalog.RegistryNames.QualifiedCreateFunction}(text) "
        + $"({e.SqlState}: {e.MessageText}). Install it as the tables' owner with "
        + $"PolicyInstaller.UseTenantRegistry(TenantRegistryAccess.CreateIfMissing) and GrantTo(\"{login}\"), or turn CreateIfMissing off.", e);

    public static string Seconds(TimeSpan interval) => interval.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    private static string QueriesState(TenantState state) => RegistryQueries.StateName(state);
}
