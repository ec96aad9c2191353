namespace DapperTenants.Cli.Audit;

/// <summary>Everything the rules need, read from the catalog in one go. Names are already quoted as PostgreSQL would.</summary>
internal sealed record AuditSnapshot(
    string Database,
    int ServerVersionNum,
    string ServerVersion,
    IReadOnlyList<string> TenantColumns,
    IReadOnlyList<TenantTable> Tables,
    IReadOnlyList<PolicyInfo> Policies,
    IReadOnlyList<ForeignKeyInfo> ForeignKeys,
    IReadOnlyList<DependentView> Views,
    IReadOnlyList<DefinerFunction> Functions,
    AppRoleInfo? AppRole);

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

/// <summary>A policy on a tenant table. <see cref="AppliesToAppRole"/> is null when no app role was given or it does not exist.</summary>
internal sealed record PolicyInfo(
    long TableOid,
    string Name,
    bool Permissive,
    string Using,
    string WithCheck,
    IReadOnlyList<string> Roles,
    bool ForPublic,
    bool? AppliesToAppRole,
    IReadOnlyList<int> Columns);

/// <summary>A foreign key whose referenced table is a protected table.</summary>
internal sealed record ForeignKeyInfo(string Name, string FromTable, long ToTableOid, IReadOnlyList<int> ReferencedColumns);

/// <summary>A view or materialized view that reads a protected table.</summary>
internal sealed record DependentView(
    string Name,
    bool IsMaterialized,
    string Owner,
    bool OwnerBypassesRls,
    bool SecurityInvoker,
    long TableOid,
    bool OwnerActsAsTableOwner);

/// <summary>A SECURITY DEFINER function outside the system schemas and extensions.</summary>
internal sealed record DefinerFunction(string Signature, string Owner, bool OwnerBypassesRls, IReadOnlyList<long> UnforcedTablesOwned);

/// <summary>The role the application logs in as, and what it may do to each protected table.</summary>
internal sealed record AppRoleInfo(string Name, string QuotedName, bool Exists, bool IsSuperuser, bool BypassesRls, IReadOnlyList<TablePrivileges> Privileges);

/// <summary>The app role's rights on one protected table.</summary>
internal sealed record TablePrivileges(long TableOid, bool ActsAsOwner, bool Truncate, bool References);
