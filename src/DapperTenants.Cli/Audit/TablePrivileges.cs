namespace DapperTenants.Cli.Audit;

/// <summary>The app role's rights on one protected table.</summary>
internal sealed record TablePrivileges(long TableOid, bool ActsAsOwner, bool Truncate, bool References);
