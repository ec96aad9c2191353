namespace DapperTenants.Cli.Audit;

/// <summary>Everything the rules need, read from the catalog in one go. Names are already quoted as PostgreSQL would.</summary>
/// <remarks><see cref="SignedContextInstalled"/>: the signed context's verifier, <c>dapper_tenants.tenant_of(text)</c>, exists.</remarks>
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
    AppRoleInfo? AppRole,
    bool SignedContextInstalled = false);
