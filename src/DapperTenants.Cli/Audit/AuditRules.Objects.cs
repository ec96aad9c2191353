namespace DapperTenants.Cli.Audit;

/// <summary>The rules about objects that reach protected tables: foreign keys, views, materialized views and functions.</summary>
internal static partial class AuditRules
{
    private static void CheckForeignKeys(AuditSnapshot snapshot, Dictionary<long, TenantTable> tables, List<Finding> findings)
    {
        foreach (var key in snapshot.ForeignKeys)
        {
            var target = tables[key.ToTableOid];
            if (key.ReferencedColumns.Contains(target.TenantAttnum))
            {
                continue;
            }

            findings.Add(new(FindingCodes.ForeignKeyWithoutTenant, Severity.Warning, $"{key.Name} ON {key.FromTable}",
                $"The foreign key {key.Name} of {key.FromTable} references {target.Name} without its tenant column {target.TenantColumn}.",
                "Foreign-key checks ignore Row-Level Security: a row of one tenant can point at another tenant's row, and failed inserts reveal which keys other tenants have.",
                $"Make the key composite: add UNIQUE ({target.TenantColumn}, <key>) on {target.Name} and reference ({target.TenantColumn}, <key>) from {key.FromTable}."));
        }
    }

    // A view without security_invoker reads its tables with its owner's rights. RLS still applies to that owner unless
    // the owner is a superuser or BYPASSRLS, or the owner (or a role whose privileges it has) owns a table that does not
    // FORCE row level security. FORCEd tables apply their policies even to their owner, and the policies read the
    // caller's tenant setting, so such a view filters correctly.
    private static void CheckViews(AuditSnapshot snapshot, Dictionary<long, TenantTable> tables, List<Finding> findings)
    {
        foreach (var view in snapshot.Views.GroupBy(v => v.Name))
        {
            var first = view.First();
            var read = view.Select(v => tables[v.TableOid]).ToList();
            if (first.IsMaterialized)
            {
                findings.Add(new(FindingCodes.MaterializedView, Severity.Error, view.Key,
                    $"The materialized view {view.Key} stores rows of {Names(read)}.",
                    "A materialized view holds the rows its owner could read at refresh time and has no Row-Level Security of its own: anyone who may select from it sees those rows, across tenants.",
                    $"Replace it with a view WITH (security_invoker = on), or REVOKE SELECT ON {view.Key} from the application's roles."));
                continue;
            }

            if (first.SecurityInvoker)
            {
                continue;
            }

            var bypassed = view.Where(v => first.OwnerBypassesRls || (v.OwnerActsAsTableOwner && !tables[v.TableOid].RlsForced))
                .Select(v => tables[v.TableOid]).ToList();
            if (bypassed.Count == 0)
            {
                continue;
            }

            var because = first.OwnerBypassesRls
                ? $"its owner {first.Owner} is a superuser or has BYPASSRLS"
                : $"its owner {first.Owner} owns {Names(bypassed)}, {NotForced(bypassed.Count)}";
            findings.Add(new(FindingCodes.ViewBypassesRls, Severity.Error, view.Key,
                $"The view {view.Key} reads {Names(bypassed)} without the policies: {because}.",
                "A view without security_invoker runs with its owner's rights, so whoever may select from it sees every tenant's rows.",
                $"ALTER VIEW {view.Key} SET (security_invoker = on); (PostgreSQL 15+), or give it an owner that is not privileged and FORCE row level security on its tables."));
        }
    }

    private static void CheckFunctions(AuditSnapshot snapshot, Dictionary<long, TenantTable> tables, List<Finding> findings)
    {
        if (!snapshot.Tables.Any(t => t.RlsEnabled))
        {
            return;
        }

        foreach (var function in snapshot.Functions)
        {
            if (!function.OwnerBypassesRls && function.UnforcedTablesOwned.Count == 0)
            {
                continue;
            }

            var because = function.OwnerBypassesRls
                ? $"its owner {function.Owner} is a superuser or has BYPASSRLS"
                : $"its owner {function.Owner} owns {Names(function.UnforcedTablesOwned.Select(o => tables[o]))}, {NotForced(function.UnforcedTablesOwned.Count)}";
            findings.Add(new(FindingCodes.SecurityDefinerFunction, Severity.Warning, function.Signature,
                $"The SECURITY DEFINER function {function.Signature} runs as a role that bypasses Row-Level Security: {because}.",
                "It runs with its owner's rights: if it reads a tenant table it sees every tenant's rows. The audit cannot see inside function bodies, hence a warning.",
                $"Make it SECURITY INVOKER (ALTER FUNCTION {function.Signature} SECURITY INVOKER;), or give it an owner without those rights."));
        }
    }

    private static string NotForced(int count) => count == 1 ? "which does not FORCE row level security" : "which do not FORCE row level security";

    private static string Names(IEnumerable<TenantTable> tables) => string.Join(", ", tables.Select(t => t.Name).Distinct());
}
