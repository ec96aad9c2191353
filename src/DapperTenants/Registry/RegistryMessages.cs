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
        TenantState.Purging => new TenantNotFoundException(
            $"Tenant '{tenant}' is being purged (its purge started and has not finished), so no connection was opened for it. "
            + $"Finish the purge as the tables' owner with TenantRegistry.PurgeAsync(await registry.PlanPurgeAsync(\"{tenant}\")).", tenant, state),
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

    public static InvalidOperationException Purging(string tenant, string action) => new(
        $"Tenant '{tenant}' is being purged: its purge started and has not finished, so it cannot be {action}. "
        + $"Finish the purge with TenantRegistry.PurgeAsync(await registry.PlanPurgeAsync(\"{tenant}\")).");

    public static InvalidOperationException NotDisabled(string tenant) => new(
        $"Tenant '{tenant}' is active: only a disabled tenant can be purged, so nothing was deleted. "
        + $"Disable it first with TenantRegistry.DisableAsync(\"{tenant}\", reason), wait for TenantOptions.RegistryRefreshInterval so that no new connection opens for it, then purge.");

    public static InvalidOperationException AlreadyPurged(string tenant) => new(
        $"Tenant '{tenant}' is already purged: its data was deleted. Nothing to do.");

    public static InvalidOperationException SignedWithoutKey(string tenant, string table) => new(
        $"Table {table} is protected by the signed context, but this TenantRegistry has no TenantOptions.SigningKey, so it could not see tenant '{tenant}''s rows "
        + "(it would find none and delete none). Build the TenantRegistry with the same TenantOptions as the application's TenantDataSource (SigningKey and SigningKeyId).");

    public static InvalidOperationException PurgeInterrupted(string tenant, TenantState? state) => new(
        $"Tenant '{tenant}' was no longer purging when its purge finished deleting (now {(state is { } s ? RegistryQueries.StateName(s) : "not registered")}): "
        + "someone changed the registry meanwhile. Check the registry, and run the purge again if the tenant must go.");

    public static InvalidOperationException Undeletable(string tenant, string table, long left) => new(
        $"{left} row(s) of tenant '{tenant}' remain in {table} after deleting every row no other row references: its rows reference each other in a cycle. "
        + "The tenant stays 'purging'. Break the cycle (set the referencing column to NULL for these rows, or make the key ON DELETE CASCADE) and run the purge again.");

    public static InvalidOperationException RowsKeepArriving(string tenant, int passes, string tables) => new(
        $"Rows of tenant '{tenant}' were still arriving after {passes} passes of the purge ({tables}), so it stays 'purging'. "
        + "A connection opened before the tenant was disabled, or a data source without TenantOptions.RequireRegisteredTenant, is still writing: stop it, and run the purge again.");

    public static InvalidOperationException NotExportable(string tenant, TenantState state) => new(
        $"Tenant '{tenant}' is {RegistryQueries.StateName(state)}: its data is deleted{(state == TenantState.Purging ? " in part" : "")}, so it cannot be exported or imported. "
        + (state == TenantState.Purging ? $"Finish the purge with TenantRegistry.PurgeAsync(await registry.PlanPurgeAsync(\"{tenant}\"))." : "Use another tenant value."));

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
