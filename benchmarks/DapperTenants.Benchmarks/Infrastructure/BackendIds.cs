namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>The server process behind the idle connection of each pool of <see cref="OrderLookups"/>.</summary>
public readonly record struct BackendIds(int ExplicitWhere, int TenantConnection, int SignedTenantConnection, int StrictTenantConnection, int SameStatementsByHand, int HandWritten, int RolePerTenant);
