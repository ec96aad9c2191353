namespace DapperTenants.Cli.Audit;

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
