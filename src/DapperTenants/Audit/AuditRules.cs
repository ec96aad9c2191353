using DapperTenants.Catalog;

namespace DapperTenants.Audit;

/// <summary>Turns an <see cref="AuditInput"/> into findings. Pure: no I/O, so every rule is testable from a hand-made input.</summary>
/// <remarks>
/// A tenant table is a table of the catalog model (<see cref="ProtectedTable"/>): one whose policies compare a column
/// with the tenant setting, or one with a hinted tenant column. Checks that only make sense once isolation is on
/// (indexes, privileges, views, foreign keys) look at tables with Row-Level Security, so fixing a DT001 may reveal more
/// findings on the next run.
/// </remarks>
internal static partial class AuditRules
{
    public static IReadOnlyList<AuditFinding> Evaluate(AuditInput input)
    {
        var findings = new List<AuditFinding>();
        var catalog = input.Catalog;
        if (catalog.Tables.Tables.Count == 0)
        {
            findings.Add(NoTenantTables(input));
        }

        var partitionGrants = catalog.PartitionGrants.ToLookup(g => g.PartitionOid);
        foreach (var table in catalog.Tables.Tables)
        {
            CheckTable(table, catalog.Tables, partitionGrants, findings);
        }

        CheckPolicies(catalog, findings);
        CheckAppRole(catalog, findings);
        CheckForeignKeys(catalog, findings);
        CheckViews(catalog, findings);
        CheckFunctions(catalog, findings);
        CheckSignedContext(catalog, findings);
        CheckHardening(catalog, findings);
        CheckPool(input, findings);
        CheckOtherSchemes(catalog, findings);
        CheckSupportAccess(catalog, findings);
        findings.AddRange(ServerAdvisory.Evaluate(catalog.ServerVersionNum, catalog.ServerVersion, input.Today));
        return [.. findings.OrderBy(f => f.Code, StringComparer.Ordinal).ThenBy(f => f.Target, StringComparer.Ordinal)];
    }

    /// <summary>The tenant column as SQL writes it.</summary>
    private static string Column(ProtectedTable table) => table.Tenant?.Quoted ?? table.TenantColumn;

    private static AuditFinding NoTenantTables(AuditInput input) => new(
        AuditCodes.NoTenantTables, AuditSeverity.Info, input.Catalog.Database,
        $"No table has a tenant column ({string.Join(", ", input.TenantColumns)}).",
        "The audit finds tenant data by its policies, and else by its column name; with none it has nothing to check.",
        "Pass your tenant column's name with --tenant-column.");

    private static void CheckTable(ProtectedTable table, CatalogTables tables, ILookup<uint, AuditCatalog.PartitionGrant> partitionGrants, List<AuditFinding> findings)
    {
        var t = table.QuotedName;
        var column = Column(table);
        if (!table.RowSecurity)
        {
            if (!table.IsPartition)
            {
                findings.Add(new(AuditCodes.RlsDisabled, AuditSeverity.Error, t,
                    $"Row-Level Security is disabled on a table with the tenant column {column}.",
                    "Every role with SELECT on it reads every tenant's rows: the tenant column is only a convention.",
                    table.OwnerBypassesRls
                        ? $"{OwnerFix(table)} ALTER TABLE {t} ENABLE ROW LEVEL SECURITY; ALTER TABLE {t} FORCE ROW LEVEL SECURITY; then create the tenant policy ('dapper-tenants apply' does the last three)."
                        : $"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY; ALTER TABLE {t} FORCE ROW LEVEL SECURITY; then create the tenant policy ('dapper-tenants apply' does all three)."));
            }
            else if (PartitionExposure(table, tables, partitionGrants[table.Oid].ToList()) is { } exposed)
            {
                findings.Add(exposed);
            }

            // A partition of an unprotected parent is covered by the parent's DT001.
            return;
        }

        if (!table.ForceRowSecurity)
        {
            findings.Add(new(AuditCodes.RlsNotForced, AuditSeverity.Warning, t,
                "Row-Level Security is enabled but not forced.",
                $"The owner ({table.Owner}) and every role acting as it skip the policies: an application, view or SECURITY DEFINER function running as the owner sees every tenant's rows.",
                table.OwnerBypassesRls
                    ? $"{OwnerFix(table)} ALTER TABLE {t} FORCE ROW LEVEL SECURITY;"
                    : $"ALTER TABLE {t} FORCE ROW LEVEL SECURITY;"));
        }

        if (table.Policies.Count == 0)
        {
            findings.Add(new(AuditCodes.NoPolicy, AuditSeverity.Warning, t,
                "Row-Level Security is enabled but the table has no policy.",
                "With no policy PostgreSQL denies every row: tenant queries return nothing and every write fails. It fails closed, but the application cannot work.",
                $"Create the tenant policy ('dapper-tenants apply'), or CREATE POLICY on {t} with USING and WITH CHECK comparing {column} with the tenant setting."));
        }

        if (table.IsPartition)
        {
            // A partition's indexes are clones of its parent's: the parent's findings cover them.
            return;
        }

        if (table.Tenant is { LeadsIndex: false })
        {
            findings.Add(new(AuditCodes.NoTenantIndex, AuditSeverity.Warning, t,
                $"No index leads on the tenant column {column}.",
                $"The policy adds a filter on {column} to every statement; without an index leading on it each query reads every tenant's rows.",
                $"Lead the primary key with it (PRIMARY KEY ({column}, id)), or CREATE INDEX ON {t} ({column});"));
        }

        foreach (var index in table.KeysWithoutTenant)
        {
            var kind = index.IsPrimaryKey ? "primary key" : "unique index";
            findings.Add(new(AuditCodes.UniqueIndexWithoutTenant, AuditSeverity.Warning, $"{index.Name} ON {t}",
                $"The {kind} {index.Name} on {t} does not lead on the tenant column {column}.",
                "Unique checks ignore Row-Level Security: an insert that fails tells a tenant that another tenant has that key (an existence oracle), "
                + "and EXPLAIN's estimates over an index that spans every tenant leak their values.",
                $"Make it ({column}, …): for example ALTER TABLE {t} ADD UNIQUE ({column}, <key columns>); then drop {index.Name}, or add {column} to the primary key."));
        }
    }

    /// <summary>The first step of a fix for a table whose owner is a superuser or BYPASSRLS, which FORCE does not bind.</summary>
    private static string OwnerFix(ProtectedTable table) =>
        $"Its owner {table.Owner} is a superuser or has BYPASSRLS, which FORCE ROW LEVEL SECURITY does not bind: ALTER TABLE {table.QuotedName} OWNER TO <a role without SUPERUSER or BYPASSRLS>; then";

    // A partition's own grants decide who may name it in a query (a query through the parent checks only the parent's):
    // one without Row-Level Security under a protected ancestor (its parent, or higher up through sub-partitions that
    // have none either) leaks to exactly the roles granted a privilege on it. Granted to nobody but its owner, it is
    // not exposed; its owner acts as the parent's owner anyway (DT002, DT012).
    private static AuditFinding? PartitionExposure(ProtectedTable table, CatalogTables tables, List<AuditCatalog.PartitionGrant> grants)
    {
        var through = new List<ProtectedTable>();
        var ancestor = table.ParentOid is { } first ? tables.Find(first) : null;
        while (ancestor is { RowSecurity: false, ParentOid: { } up })
        {
            through.Add(ancestor);
            ancestor = tables.Find(up);
        }

        if (ancestor is not { RowSecurity: true } || grants.Count == 0)
        {
            return null;
        }

        var t = table.QuotedName;
        var via = through.Count == 0 ? string.Empty : $" (under {Names(through)}, which {(through.Count == 1 ? "has" : "have")} none either)";
        var granted = string.Join("; ", grants.Select(g => $"{string.Join(", ", g.Privileges)} to {g.Grantee}"));
        return new(AuditCodes.PartitionWithoutRls, AuditSeverity.Error, t,
            $"Partition {t} of the protected table {ancestor.QuotedName}{via} has Row-Level Security disabled and is granted directly: {granted}.",
            $"A partition does not inherit its parent's policies: {string.Join(", ", grants.Select(g => g.Grantee))} (and their members) can name {t} in a query and read or write every tenant's rows in it. Through {ancestor.QuotedName} the policies apply.",
            $"REVOKE ALL ON {t} FROM {string.Join(", ", grants.Select(g => g.Grantee))}; (queries through {ancestor.QuotedName} need no grant on its partitions), or ALTER TABLE {t} ENABLE ROW LEVEL SECURITY; ALTER TABLE {t} FORCE ROW LEVEL SECURITY; and give it the parent's tenant policy.");
    }

    // The login's own attributes are checked even where no table has a tenant column: a superuser app login is wrong
    // whatever the schema.
    private static void CheckAppRole(AuditCatalog catalog, List<AuditFinding> findings)
    {
        if (catalog.AppRole is not { } role)
        {
            if (catalog.Tables.Tables.Count == 0)
            {
                return;
            }

            findings.Add(new(AuditCodes.AppRoleNotGiven, AuditSeverity.Info, catalog.Database,
                "No --app-role was given, so the application login was not checked.",
                "Whether the policies apply at all depends on the login: superusers, BYPASSRLS roles and table owners skip them, and TRUNCATE ignores them.",
                "Run the audit again with --app-role <the login your application connects as>."));
            return;
        }

        if (!role.Exists)
        {
            findings.Add(new(AuditCodes.AppRoleMissing, AuditSeverity.Error, role.Name,
                $"The app role '{role.Name}' does not exist on this server.",
                "The application login could not be checked.",
                "Pass the exact login name your application connects as (role names are case-sensitive)."));
            return;
        }

        var r = role.QuotedName;
        if (role.IsSuperuser)
        {
            findings.Add(new(AuditCodes.AppRoleSuperuser, AuditSeverity.Error, r,
                $"The app role {r} is a superuser.",
                "PostgreSQL never applies Row-Level Security to a superuser: every tenant connection sees and writes every tenant's rows.",
                $"Connect as a role created with NOSUPERUSER NOBYPASSRLS that owns no table, or ALTER ROLE {r} NOSUPERUSER;"));

            // A superuser holds every privilege; the per-table findings would only repeat this one.
            return;
        }

        if (role.BypassesRls)
        {
            findings.Add(new(AuditCodes.AppRoleBypassesRls, AuditSeverity.Error, r,
                $"The app role {r} has BYPASSRLS.",
                "PostgreSQL skips Row-Level Security for BYPASSRLS roles: every tenant connection sees and writes every tenant's rows.",
                $"ALTER ROLE {r} NOBYPASSRLS;"));
        }

        CheckRoleGraph(catalog, role, findings);
        foreach (var privileges in role.Privileges)
        {
            var table = catalog.Tables.Find(privileges.TableOid)!;
            var name = table.QuotedName;
            if (privileges.ActsAsOwner)
            {
                findings.Add(new(AuditCodes.AppRoleOwnsTable, AuditSeverity.Error, name,
                    $"The app role {r} owns {name} (its owner is {table.Owner}), or is a member of the owner{OwnerPath(role, table)}.",
                    "The owner skips the policies unless RLS is forced, and can always disable Row-Level Security, drop the policies or alter the table.",
                    $"ALTER TABLE {name} OWNER TO <a migration role>; and revoke {r}'s membership in the owner."));
                continue;
            }

            if (privileges.Truncate)
            {
                findings.Add(new(AuditCodes.AppRoleTruncate, AuditSeverity.Error, name,
                    $"The app role {r} may TRUNCATE {name}.",
                    "TRUNCATE ignores Row-Level Security: one statement from any tenant empties every tenant's rows.",
                    $"REVOKE TRUNCATE ON {name} FROM {r}; (and from PUBLIC or the group role that grants it)."));
            }

            if (privileges.References)
            {
                findings.Add(new(AuditCodes.AppRoleReferences, AuditSeverity.Warning, name,
                    $"The app role {r} holds REFERENCES on {name}.",
                    "It can create foreign keys to the table; foreign-key checks ignore Row-Level Security, so it can probe which keys other tenants have.",
                    $"REVOKE REFERENCES ON {name} FROM {r};"));
            }
        }
    }
}
