namespace DapperTenants.Cli.Audit;

/// <summary>An ordinary or partitioned table with a tenant-like column. Protected means RLS is enabled on it.</summary>
internal sealed record TenantTable(
    long Oid,
    string Name,
    bool IsPartition,
    long? ParentOid,
    bool RlsEnabled,
    bool RlsForced,
    string Owner,
    bool OwnerBypassesRls,
    string TenantColumn,
    int TenantAttnum,
    int PolicyCount,
    bool HasTenantIndex);
