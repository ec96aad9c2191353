namespace DapperTenants.Cli.Audit;

/// <summary>A view or materialized view that reads a protected table.</summary>
internal sealed record DependentView(
    string Name,
    bool IsMaterialized,
    string Owner,
    bool OwnerBypassesRls,
    bool SecurityInvoker,
    long TableOid,
    bool OwnerActsAsTableOwner);
