using DapperTenants.Catalog;

namespace DapperTenants.Audit;

/// <summary>Everything the rules judge: the catalog as read, and what the caller said about the application.</summary>
/// <param name="Catalog">The audit's catalog read (the model's tables and the objects that reach them).</param>
/// <param name="TenantColumns">The hinted tenant column names.</param>
/// <param name="Today">The date for the end-of-life check.</param>
/// <param name="Pool">The application's pool, when its connection string was given.</param>
internal sealed record AuditInput(AuditCatalog Catalog, IReadOnlyList<string> TenantColumns, DateOnly Today, PoolSettings? Pool = null);

/// <summary>The keywords of the application's connection string that decide whether a pooled session is reset between leases.</summary>
/// <param name="Pooling">Pooling is on.</param>
/// <param name="NoResetOnClose">No Reset On Close: a returned connection keeps its session state.</param>
/// <param name="Multiplexing">Multiplexing: statements of several leases share one session.</param>
internal sealed record PoolSettings(bool Pooling, bool NoResetOnClose, bool Multiplexing);
