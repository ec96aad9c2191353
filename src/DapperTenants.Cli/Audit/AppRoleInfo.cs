namespace DapperTenants.Cli.Audit;

/// <summary>The role the application logs in as, and what it may do to each protected table.</summary>
internal sealed record AppRoleInfo(string Name, string QuotedName, bool Exists, bool IsSuperuser, bool BypassesRls, IReadOnlyList<TablePrivileges> Privileges);
