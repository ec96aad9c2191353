using DapperTenants.Catalog;

namespace DapperTenants.Audit;

/// <summary>
/// The rules that follow the app login's role graph: a member of a role can SET ROLE to it (whatever INHERIT says) and
/// then has that role's attributes; CREATEROLE can grant the login the owner's role; TRIGGER runs the login's code on
/// every tenant's writes. Also the tables whose policies isolate rows by another scheme than the tenant column.
/// </summary>
internal static partial class AuditRules
{
    private static void CheckRoleGraph(AuditCatalog catalog, AuditCatalog.AppLogin role, List<AuditFinding> findings)
    {
        var r = role.QuotedName;
        foreach (var chain in role.Chains.Where(c => c.Path.Count > 1 && c.CanSetRole && (c.IsSuperuser || c.BypassesRls)))
        {
            var what = chain.IsSuperuser ? "a superuser" : "BYPASSRLS";
            findings.Add(new(AuditCodes.AppRoleMemberOfPrivileged, AuditSeverity.Error, r,
                $"The app role {r} can SET ROLE to {chain.Name}, which is {what}: {Chain(chain)}.",
                (catalog.ServerVersionNum >= 160000
                    ? "Every grant of the chain allows SET ROLE (WITH SET TRUE, or ADMIN OPTION)"
                    : "A member of a role may SET ROLE to it, INHERIT or NOINHERIT alike")
                + $"; as {chain.Name} no Row-Level Security applies, so any SQL the app login runs can read and write every tenant's rows"
                + (chain.IsSuperuser ? " and change anything." : "."),
                $"REVOKE {QuoteIdentifier(chain.Path[1])} FROM {r}; (the first grant of the chain), and give the application a login that is a member of no privileged role."));
        }

        if (role.Chains.FirstOrDefault(c => c.CanCreateRole && c.CanSetRole) is { } creator)
        {
            var through = creator.Path.Count > 1 ? $" through {Chain(creator)}" : string.Empty;
            var newer = catalog.ServerVersionNum >= 160000;
            findings.Add(new(AuditCodes.AppRoleCreateRole, newer ? AuditSeverity.Warning : AuditSeverity.Error, r,
                $"The app role {r} has CREATEROLE{through}.",
                newer
                    ? "From PostgreSQL 16 CREATEROLE reaches only the roles it created or administers, but it can still create roles and grant them: a role it creates with a grant of a table owner's role skips the policies."
                    : "Before PostgreSQL 16, CREATEROLE may grant membership in any role but a superuser: the login can grant itself the tables' owner, SET ROLE to it and disable Row-Level Security.",
                $"ALTER ROLE {QuoteIdentifier(creator.Name)} NOCREATEROLE; or connect the application as a login without it."));
        }

        foreach (var privileges in role.Privileges.Where(p => p.Trigger && !p.ActsAsOwner))
        {
            var name = catalog.Tables.Find(privileges.TableOid)!.QuotedName;
            findings.Add(new(AuditCodes.AppRoleTrigger, AuditSeverity.Error, name,
                $"The app role {r} may create triggers on {name} (TRIGGER privilege; GRANT ALL includes it).",
                "A trigger runs on every tenant's writes to the table, whoever's connection makes them: one the app login creates can copy each new row where another tenant reads it.",
                $"REVOKE TRIGGER ON {name} FROM {r}; (and from PUBLIC or the group role that grants it; grant SELECT, INSERT, UPDATE, DELETE rather than ALL)."));
        }
    }

    /// <summary>How DT012 names the way the login acts as a table's owner.</summary>
    private static string OwnerPath(AuditCatalog.AppLogin role, ProtectedTable table) =>
        role.ChainTo(table.Owner) is { Path.Count: > 1 } chain ? $" through {Chain(chain)}" : string.Empty;

    private static string Chain(AuditCatalog.RoleChain chain) => string.Join(" → ", chain.Path.Select(QuoteIdentifier));

    private static void CheckOtherSchemes(AuditCatalog catalog, List<AuditFinding> findings)
    {
        foreach (var table in catalog.OtherTables)
        {
            findings.Add(new(AuditCodes.OtherIsolationScheme, AuditSeverity.Info, table.Name,
                $"{table.Name} has Row-Level Security and policies but no tenant column: it is isolated by another scheme ({string.Join("; ", table.Policies.Take(3))}).",
                "The audit judges tenant isolation; policies on a user id, a role or a membership table are outside what it can prove, so it does not judge them as tenant policies.",
                "Nothing, if the scheme is deliberate. If the table holds tenant data, add the tenant column and its policy ('dapper-tenants apply'), or pass its column with --tenant-column."));
        }
    }
}
