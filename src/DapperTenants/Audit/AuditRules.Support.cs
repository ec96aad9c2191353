using DapperTenants.Catalog;

namespace DapperTenants.Audit;

/// <summary>
/// The rule about support access: the app login must not be able to open a support session (the support role's
/// policies would then admit it to logged, cross-tenant scopes) nor touch the access log, which only the owner may
/// change and only the support role may write, through its function.
/// </summary>
internal static partial class AuditRules
{
    private static void CheckSupportAccess(AuditCatalog catalog, List<AuditFinding> findings)
    {
        if (catalog.AppRole is not { Exists: true, Support: { } support } role)
        {
            return;
        }

        var r = role.QuotedName;
        foreach (var supportRole in support.SupportRoles)
        {
            var via = role.ChainTo(supportRole) is { Path.Count: > 2 } chain ? $" ({Chain(chain)})" : string.Empty;
            findings.Add(new(AuditCodes.AppRoleCanUseSupport, AuditSeverity.Error, r,
                $"The app role {r} is a member of the support role {QuoteIdentifier(supportRole)}{via}.",
                "The support policies admit the support role's members to every tenant a support session logs: any SQL the app login runs could open one and read across tenants.",
                $"REVOKE {QuoteIdentifier(supportRole)} FROM {r}; and give operators logins of their own."));
        }

        if (support.MayBegin)
        {
            findings.Add(new(AuditCodes.AppRoleCanUseSupport, AuditSeverity.Error, SupportNames.BeginSignature,
                $"The app role {r} may execute {SupportNames.BeginSignature}.",
                "Only the support role should open support sessions; the function also checks membership, but a grant to the app login (or PUBLIC) is one mistake away from cross-tenant access.",
                $"REVOKE EXECUTE ON FUNCTION {SupportNames.BeginSignature} FROM {r}, PUBLIC; ('dapper-tenants apply' with the support role takes every other grant away)."));
        }

        if (support.LogPrivileges.Count > 0)
        {
            findings.Add(new(AuditCodes.AppRoleCanUseSupport, AuditSeverity.Error, SupportNames.QualifiedTable,
                $"The app role {r} holds {string.Join(", ", support.LogPrivileges)} on the access log {SupportNames.QualifiedTable}.",
                "The access log is append-only and written only through the support role's function: an app login that can insert forges sessions, one that can update, delete or truncate erases them, and one that can read learns who looked at which tenant.",
                $"REVOKE ALL ON TABLE {SupportNames.QualifiedTable} FROM {r}, PUBLIC;"));
        }

        if (support.MayLogWrite)
        {
            findings.Add(new(AuditCodes.AppRoleCanUseSupport, AuditSeverity.Error, SupportNames.WriteSignature,
                $"The app role {r} may execute {SupportNames.WriteSignature}.",
                "Only the support role should log support writes; the function also checks membership, but a grant to the app login (or PUBLIC) is one mistake away from writing across tenants.",
                $"REVOKE EXECUTE ON FUNCTION {SupportNames.WriteSignature} FROM {r}, PUBLIC; ('dapper-tenants apply' with the support role takes every other grant away)."));
        }

        if (support.WriteLogPrivileges.Count > 0)
        {
            findings.Add(new(AuditCodes.AppRoleCanUseSupport, AuditSeverity.Error, SupportNames.QualifiedWritesTable,
                $"The app role {r} holds {string.Join(", ", support.WriteLogPrivileges)} on the write log {SupportNames.QualifiedWritesTable}.",
                "The write log is append-only and written only through the support role's function: an app login that can insert forges write authorizations, one that can update, delete or truncate erases them, and one that can read learns what support changed.",
                $"REVOKE ALL ON TABLE {SupportNames.QualifiedWritesTable} FROM {r}, PUBLIC;"));
        }
    }
}
