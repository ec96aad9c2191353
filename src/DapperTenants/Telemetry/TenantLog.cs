using Microsoft.Extensions.Logging;

namespace DapperTenants.Telemetry;

/// <summary>
/// The library's log events. Event ids are stable: alerts and dashboards may key on them. Messages never carry row
/// data, parameter values, SQL text or connection-string secrets.
/// </summary>
internal static partial class TenantLog
{
    /// <summary>The category of events about opening connections and the catalog.</summary>
    public const string ConnectionCategory = "DapperTenants.Connection";

    /// <summary>The category of guard events.</summary>
    public const string GuardCategory = "DapperTenants.Guard";

    public const int GuardRefusedId = 1001;
    public const int PrivilegedLoginRefusedId = 1002;
    public const int PrivilegedLoginAllowedId = 1003;
    public const int CatalogReadId = 1004;
    public const int CatalogRefreshRequestedId = 1005;

    [LoggerMessage(EventId = GuardRefusedId, EventName = "GuardRefused", Level = LogLevel.Warning,
        Message = "The guard refused a statement before sending it ({Kind}) on table {Table} for tenant {Tenant}.")]
    public static partial void GuardRefused(ILogger logger, string kind, string table, string tenant);

    [LoggerMessage(EventId = PrivilegedLoginRefusedId, EventName = "PrivilegedLoginRefused", Level = LogLevel.Error,
        Message = "Refused to open a tenant connection: the data source's login is privileged, so Row-Level Security would not apply to it.")]
    public static partial void PrivilegedLoginRefused(ILogger logger, UnsafeRoleException exception);

    [LoggerMessage(EventId = PrivilegedLoginAllowedId, EventName = "PrivilegedLoginAllowed", Level = LogLevel.Warning,
        Message = "The data source logs in as '{Role}', which is {What}; TenantOptions.AllowPrivilegedRole lets it open tenant connections, and Row-Level Security does not apply to them.")]
    public static partial void PrivilegedLoginAllowed(ILogger logger, string role, string what);

    [LoggerMessage(EventId = CatalogReadId, EventName = "CatalogRead", Level = LogLevel.Information,
        Message = "Read the catalog for login '{Role}': {TableCount} protected table(s).")]
    public static partial void CatalogRead(ILogger logger, string role, int tableCount);

    [LoggerMessage(EventId = CatalogRefreshRequestedId, EventName = "CatalogRefreshRequested", Level = LogLevel.Information,
        Message = "Catalog refresh requested: the next open reads the login's attributes and the protected tables again.")]
    public static partial void CatalogRefreshRequested(ILogger logger);
}
