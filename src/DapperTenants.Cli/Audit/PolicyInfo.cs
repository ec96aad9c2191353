namespace DapperTenants.Cli.Audit;

/// <summary>A policy on a tenant table. <see cref="AppliesToAppRole"/> is null when no app role was given or it does not exist.</summary>
/// <remarks>
/// <see cref="ReadsRawSetting"/>: an expression calls <c>current_setting</c>, so whoever can set that setting chooses the tenant.
/// <see cref="CallsVerifier"/>: it depends on the signed context's verifier, <c>dapper_tenants.tenant_of(text)</c>.
/// </remarks>
internal sealed record PolicyInfo(
    long TableOid,
    string Name,
    bool Permissive,
    string Using,
    string WithCheck,
    IReadOnlyList<string> Roles,
    bool ForPublic,
    bool? AppliesToAppRole,
    IReadOnlyList<int> Columns,
    bool ReadsRawSetting = false,
    bool CallsVerifier = false);
