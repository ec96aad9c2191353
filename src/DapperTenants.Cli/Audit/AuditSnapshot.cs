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
