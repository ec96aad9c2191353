using DapperTenants.Catalog;

namespace DapperTenants.Audit;

/// <summary>The rules about objects that reach protected tables: foreign keys, views, materialized views and functions.</summary>
internal static partial class AuditRules
{
    private static void CheckForeignKeys(AuditCatalog catalog, List<AuditFinding> findings)
    {
        foreach (var key in catalog.ForeignKeys)
        {
            var target = catalog.Tables.Find(key.ToTableOid)!;
            if (target.Tenant is { } tenant && key.ReferencedColumns.Contains(tenant.Number))
            {
                continue;
            }

            var column = Column(target);
            findings.Add(new(AuditCodes.ForeignKeyWithoutTenant, AuditSeverity.Warning, $"{key.Name} ON {key.FromTable}",
                $"The foreign key {key.Name} of {key.FromTable} references {target.QuotedName} without its tenant column {column}.",
                "Foreign-key checks ignore Row-Level Security: a row of one tenant can point at another tenant's row, and failed inserts reveal which keys other tenants have.",
                $"Make the key composite: add UNIQUE ({column}, <key>) on {target.QuotedName} and reference ({column}, <key>) from {key.FromTable}."));
        }
    }

    // A view without security_invoker reads its tables with its owner's rights. RLS still applies to that owner unless
    // the owner is a superuser or BYPASSRLS, or the owner (or a role whose privileges it has) owns a table that does not
    // FORCE row level security. FORCEd tables apply their policies even to their owner, and the policies read the
    // caller's tenant setting, so such a view filters correctly.
    private static void CheckViews(AuditCatalog catalog, List<AuditFinding> findings)
    {
        foreach (var view in catalog.Views.GroupBy(v => v.Name))
        {
            var first = view.First();
            var read = view.Select(v => catalog.Tables.Find(v.TableOid)!).ToList();
            if (first.IsMaterialized)
            {
                findings.Add(new(AuditCodes.MaterializedView, AuditSeverity.Error, view.Key,
                    $"The materialized view {view.Key} stores rows of {Names(read)}.",
                    "A materialized view holds the rows its owner could read at refresh time and has no Row-Level Security of its own: anyone who may select from it sees those rows, across tenants.",
                    $"Replace it with a view WITH (security_invoker = on), or REVOKE SELECT ON {view.Key} from the application's roles."));
                continue;
            }

            if (first.SecurityInvoker)
            {
                continue;
            }

            var bypassed = view.Where(v => first.OwnerBypassesRls || (v.OwnerActsAsTableOwner && !catalog.Tables.Find(v.TableOid)!.ForceRowSecurity))
                .Select(v => catalog.Tables.Find(v.TableOid)!).ToList();
            if (bypassed.Count == 0)
            {
                continue;
            }

            var because = first.OwnerBypassesRls
                ? $"its owner {first.Owner} is a superuser or has BYPASSRLS"
                : $"its owner {first.Owner} owns {Names(bypassed)}, {NotForced(bypassed.Count)}";
            findings.Add(new(AuditCodes.ViewBypassesRls, AuditSeverity.Error, view.Key,
                $"The view {view.Key} reads {Names(bypassed)} without the policies: {because}.",
                "A view without security_invoker runs with its owner's rights, so whoever may select from it sees every tenant's rows.",
                $"ALTER VIEW {view.Key} SET (security_invoker = on); (PostgreSQL 15+), or give it an owner that is not privileged and FORCE row level security on its tables."));
        }
    }

    private static void CheckFunctions(AuditCatalog catalog, List<AuditFinding> findings)
    {
        if (!catalog.Tables.Tables.Any(t => t.RowSecurity))
        {
            return;
        }

        foreach (var function in catalog.Functions)
        {
            if (!function.OwnerBypassesRls && function.UnforcedTablesOwned.Count == 0)
            {
                continue;
            }

            var because = function.OwnerBypassesRls
                ? $"its owner {function.Owner} is a superuser or has BYPASSRLS"
                : $"its owner {function.Owner} owns {Names(function.UnforcedTablesOwned.Select(o => catalog.Tables.Find(o)!))}, {NotForced(function.UnforcedTablesOwned.Count)}";
            findings.Add(new(AuditCodes.SecurityDefinerFunction, AuditSeverity.Warning, function.Signature,
                $"The SECURITY DEFINER function {function.Signature} runs as a role that bypasses Row-Level Security: {because}.",
                "It runs with its owner's rights: if it reads a tenant table it sees every tenant's rows. The audit cannot see inside function bodies, hence a warning.",
                $"Make it SECURITY INVOKER (ALTER FUNCTION {function.Signature} SECURITY INVOKER;), or give it an owner without those rights."));
        }
    }

    private static string NotForced(int count) => count == 1 ? "which does not FORCE row level security" : "which do not FORCE row level security";

    private static string Names(IEnumerable<ProtectedTable> tables) => string.Join(", ", tables.Select(t => t.QuotedName).Distinct());
}
