namespace DapperTenants.Cli.Audit;

/// <summary>Turns an <see cref="AuditSnapshot"/> into findings. Pure: no I/O, so every rule is testable from a snapshot.</summary>
/// <remarks>
/// A tenant table has a tenant-like column; a protected table is a tenant table with Row-Level Security enabled.
/// Checks that only make sense once isolation is on (indexes, privileges, views, foreign keys) look at protected tables,
/// so fixing a DT001 may reveal more findings on the next run.
/// </remarks>
internal static partial class AuditRules
{
    public static IReadOnlyList<Finding> Evaluate(AuditSnapshot snapshot, DateOnly today)
    {
        var findings = new List<Finding>();
        var tables = snapshot.Tables.ToDictionary(t => t.Oid);
        if (snapshot.Tables.Count == 0)
        {
            findings.Add(NoTenantTables(snapshot));
        }

        foreach (var table in snapshot.Tables)
        {
            CheckTable(table, tables, findings);
        }

        CheckPolicies(snapshot, tables, findings);
        CheckAppRole(snapshot, tables, findings);
        CheckForeignKeys(snapshot, tables, findings);
        CheckViews(snapshot, tables, findings);
        CheckFunctions(snapshot, tables, findings);
        CheckSignedContext(snapshot, tables, findings);
        findings.AddRange(ServerAdvisory.Evaluate(snapshot.ServerVersionNum, snapshot.ServerVersion, today));
        return [.. findings.OrderBy(f => f.Code, StringComparer.Ordinal).ThenBy(f => f.Object, StringComparer.Ordinal)];
    }

    private static Finding NoTenantTables(AuditSnapshot snapshot) => new(
        FindingCodes.NoTenantTables, Severity.Info, snapshot.Database,
        $"No table has a tenant column ({string.Join(", ", snapshot.TenantColumns)}).",
        "The audit finds tenant data by its column name; with none it has nothing to check.",
        "Pass your tenant column's name with --tenant-column.");

    private static void CheckTable(TenantTable table, Dictionary<long, TenantTable> tables, List<Finding> findings)
    {
        var t = table.Name;
        if (!table.RlsEnabled)
        {
            if (!table.IsPartition)
            {
                findings.Add(new(FindingCodes.RlsDisabled, Severity.Error, t,
                    $"Row-Level Security is disabled on a table with the tenant column {table.TenantColumn}.",
                    "Every role with SELECT on it reads every tenant's rows: the tenant column is only a convention.",
                    $"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY; ALTER TABLE {t} FORCE ROW LEVEL SECURITY; then create the tenant policy ('dapper-tenants apply' does all three)."));
            }
            else if (table.ParentOid is { } parentOid && tables.TryGetValue(parentOid, out var parent) && parent.RlsEnabled)
            {
                findings.Add(new(FindingCodes.PartitionWithoutRls, Severity.Error, t,
                    $"Partition {t} of the protected table {parent.Name} has Row-Level Security disabled.",
                    "A partition does not inherit its parent's policies: a query that names the partition directly reads every tenant's rows.",
                    $"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY; ALTER TABLE {t} FORCE ROW LEVEL SECURITY; and give it the parent's tenant policy."));
            }

            // A partition of an unprotected parent is covered by the parent's DT001.
            return;
        }

        if (!table.RlsForced)
        {
            findings.Add(new(FindingCodes.RlsNotForced, Severity.Warning, t,
                "Row-Level Security is enabled but not forced.",
                $"The owner ({table.Owner}) and every role acting as it skip the policies: an application, view or SECURITY DEFINER function running as the owner sees every tenant's rows.",
                $"ALTER TABLE {t} FORCE ROW LEVEL SECURITY;"));
        }

        if (table.PolicyCount == 0)
        {
            findings.Add(new(FindingCodes.NoPolicy, Severity.Warning, t,
                "Row-Level Security is enabled but the table has no policy.",
                "With no policy PostgreSQL denies every row: tenant queries return nothing and every write fails. It fails closed, but the application cannot work.",
                $"Create the tenant policy ('dapper-tenants apply'), or CREATE POLICY on {t} with USING and WITH CHECK comparing {table.TenantColumn} with the tenant setting."));
        }

        if (!table.HasTenantIndex && !table.IsPartition)
        {
            findings.Add(new(FindingCodes.NoTenantIndex, Severity.Warning, t,
                $"No index leads on the tenant column {table.TenantColumn}.",
                $"The policy adds a filter on {table.TenantColumn} to every statement; without an index leading on it each query reads every tenant's rows.",
                $"Lead the primary key with it (PRIMARY KEY ({table.TenantColumn}, id)), or CREATE INDEX ON {t} ({table.TenantColumn});"));
        }
    }

    private static void CheckPolicies(AuditSnapshot snapshot, Dictionary<long, TenantTable> tables, List<Finding> findings)
    {
        foreach (var policy in snapshot.Policies)
        {
            if (!policy.Permissive || !tables.TryGetValue(policy.TableOid, out var table) || !table.RlsEnabled)
            {
                // Restrictive policies only narrow access; policies on a table without RLS have no effect (DT001 covers it).
                continue;
            }

            var target = $"{policy.Name} ON {table.Name}";
            var roles = string.Join(", ", policy.Roles);
            var reachesApp = policy.ForPublic || policy.AppliesToAppRole == true;
            if (policy.Using == "true" || policy.WithCheck == "true")
            {
                var clause = policy.Using == "true" ? "USING (true)" : "WITH CHECK (true)";
                findings.Add(new(FindingCodes.AlwaysTruePolicy, reachesApp ? Severity.Error : Severity.Warning, target,
                    $"The permissive policy {policy.Name} on {table.Name} has {clause} for {roles}.",
                    "Permissive policies are OR-ed together: one that is always true lets its roles read (USING) or write (WITH CHECK) every tenant's rows, whatever the tenant policy says.",
                    $"DROP POLICY {policy.Name} ON {table.Name}; or make it AS RESTRICTIVE, or grant it only to a role that must see every tenant."));
            }
            else if (reachesApp && !policy.Columns.Contains(table.TenantAttnum))
            {
                findings.Add(new(FindingCodes.PolicyIgnoresTenant, Severity.Error, target,
                    $"The permissive policy {policy.Name} on {table.Name} applies to {(policy.ForPublic ? "PUBLIC" : "the app role")} and never reads {table.TenantColumn}.",
                    "Permissive policies are OR-ed together: every row this policy admits is visible (or writable) to every tenant.",
                    $"Compare {table.TenantColumn} with the tenant setting in its USING and WITH CHECK, make it AS RESTRICTIVE, or limit it TO a role that must see every tenant."));
            }
        }
    }

    private static void CheckAppRole(AuditSnapshot snapshot, Dictionary<long, TenantTable> tables, List<Finding> findings)
    {
        if (snapshot.Tables.Count == 0)
        {
            return;
        }

        if (snapshot.AppRole is not { } role)
        {
            findings.Add(new(FindingCodes.AppRoleNotGiven, Severity.Info, snapshot.Database,
                "No --app-role was given, so the application login was not checked.",
                "Whether the policies apply at all depends on the login: superusers, BYPASSRLS roles and table owners skip them, and TRUNCATE ignores them.",
                "Run the audit again with --app-role <the login your application connects as>."));
            return;
        }

        if (!role.Exists)
        {
            findings.Add(new(FindingCodes.AppRoleMissing, Severity.Error, role.Name,
                $"The app role '{role.Name}' does not exist on this server.",
                "The application login could not be checked.",
                "Pass the exact login name your application connects as (role names are case-sensitive)."));
            return;
        }

        var r = role.QuotedName;
        if (role.IsSuperuser)
        {
            findings.Add(new(FindingCodes.AppRoleSuperuser, Severity.Error, r,
                $"The app role {r} is a superuser.",
                "PostgreSQL never applies Row-Level Security to a superuser: every tenant connection sees and writes every tenant's rows.",
                $"Connect as a role created with NOSUPERUSER NOBYPASSRLS that owns no table, or ALTER ROLE {r} NOSUPERUSER;"));

            // A superuser holds every privilege; the per-table findings would only repeat this one.
            return;
        }

        if (role.BypassesRls)
        {
            findings.Add(new(FindingCodes.AppRoleBypassesRls, Severity.Error, r,
                $"The app role {r} has BYPASSRLS.",
                "PostgreSQL skips Row-Level Security for BYPASSRLS roles: every tenant connection sees and writes every tenant's rows.",
                $"ALTER ROLE {r} NOBYPASSRLS;"));
        }

        foreach (var privileges in role.Privileges)
        {
            var table = tables[privileges.TableOid];
            if (privileges.ActsAsOwner)
            {
                findings.Add(new(FindingCodes.AppRoleOwnsTable, Severity.Error, table.Name,
                    $"The app role {r} owns {table.Name} (its owner is {table.Owner}), or is a member of the owner.",
                    "The owner skips the policies unless RLS is forced, and can always disable Row-Level Security, drop the policies or alter the table.",
                    $"ALTER TABLE {table.Name} OWNER TO <a migration role>; and revoke {r}'s membership in the owner."));
                continue;
            }

            if (privileges.Truncate)
            {
                findings.Add(new(FindingCodes.AppRoleTruncate, Severity.Error, table.Name,
                    $"The app role {r} may TRUNCATE {table.Name}.",
                    "TRUNCATE ignores Row-Level Security: one statement from any tenant empties every tenant's rows.",
                    $"REVOKE TRUNCATE ON {table.Name} FROM {r}; (and from PUBLIC or the group role that grants it)."));
            }

            if (privileges.References)
            {
                findings.Add(new(FindingCodes.AppRoleReferences, Severity.Warning, table.Name,
                    $"The app role {r} holds REFERENCES on {table.Name}.",
                    "It can create foreign keys to the table; foreign-key checks ignore Row-Level Security, so it can probe which keys other tenants have.",
                    $"REVOKE REFERENCES ON {table.Name} FROM {r};"));
            }
        }
    }
}
