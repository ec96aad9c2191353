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
                findings.Add(MaterializedView(view.Key, first, read));
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

    // A materialized view holds rows, not a query: what matters is who may read them. Only its owner (and the roles
    // acting as it, reported as such) may until SELECT is granted.
    private static AuditFinding MaterializedView(string name, AuditCatalog.DependentView view, List<ProtectedTable> read)
    {
        if (view.Readers.Count == 0)
        {
            return new(AuditCodes.MaterializedView, AuditSeverity.Info, name,
                $"The materialized view {name} stores rows of {Names(read)}; only its owner {view.Owner} may read it.",
                "It holds the rows its owner could read at refresh time, without Row-Level Security of its own; nobody else may select from it today, but a grant would show those rows across tenants.",
                $"Nothing while only {view.Owner} reads it. Before granting SELECT on it, replace it with a view WITH (security_invoker = on), or keep one per tenant.");
        }

        var readers = string.Join(", ", view.Readers);
        return new(AuditCodes.MaterializedView, AuditSeverity.Error, name,
            $"The materialized view {name} stores rows of {Names(read)}, and SELECT on it is granted to {readers}.",
            "A materialized view holds the rows its owner could read at refresh time and has no Row-Level Security of its own: whoever may select from it sees those rows, across tenants.",
            $"Replace it with a view WITH (security_invoker = on), or REVOKE SELECT ON {name} FROM {readers};");
    }

    // Only the tables a SECURITY DEFINER function reads (itself or through the functions it calls) matter; one that
    // reads none cannot leak rows. A body the audit cannot read is judged by what its owner could read. Titles stay
    // short whatever the catalog's size: the tables are listed in Why, and bounded where they are only possible reads.
    private static void CheckFunctions(AuditCatalog catalog, List<AuditFinding> findings)
    {
        var rls = catalog.Tables.Tables.Where(t => t.RowSecurity).ToList();
        if (rls.Count == 0)
        {
            return;
        }

        var reads = new FunctionReads(catalog.Functions, catalog.Tables);
        foreach (var function in catalog.Functions)
        {
            if (!function.SecurityDefiner || (!function.OwnerBypassesRls && function.UnforcedTablesOwned.Count == 0))
            {
                continue;
            }

            var what = reads.Of(function);
            var sig = function.Signature;
            if (what.Opaque is null)
            {
                List<ProtectedTable> exposed = function.OwnerBypassesRls
                    ? rls.Where(t => what.Tables.Contains(t.Oid)).ToList()
                    : function.UnforcedTablesOwned.Where(what.Tables.Contains).Select(o => catalog.Tables.Find(o)!).ToList();
                if (exposed.Count == 0)
                {
                    continue;
                }

                var them = exposed.Count == 1 ? exposed[0].QuotedName : $"{exposed.Count} tenant tables";
                var because = function.OwnerBypassesRls
                    ? $"its owner {function.Owner} is a superuser or has BYPASSRLS"
                    : $"its owner {function.Owner} owns {(exposed.Count == 1 ? "it" : "them")}, and Row-Level Security is not forced";
                findings.Add(new(AuditCodes.SecurityDefinerFunction, AuditSeverity.Warning, sig,
                    $"The SECURITY DEFINER function {sig} reads {them} without the policies: {because}.",
                    $"It runs with its owner's rights, so whoever may execute it sees every tenant's rows of {Names(exposed)}.",
                    $"Make it SECURITY INVOKER (ALTER FUNCTION {sig} SECURITY INVOKER;), or give it an owner without those rights"
                    + (function.OwnerBypassesRls ? "." : $" and FORCE row level security on {Names(exposed)}.")));
                continue;
            }

            List<ProtectedTable> possible = function.OwnerBypassesRls ? rls : function.UnforcedTablesOwned.Select(o => catalog.Tables.Find(o)!).ToList();
            var owner = function.OwnerBypassesRls
                ? $"its owner {function.Owner} is a superuser or has BYPASSRLS"
                : $"its owner {function.Owner} owns {(possible.Count == 1 ? "a tenant table that does" : $"{possible.Count} tenant tables that do")} not FORCE row level security";
            findings.Add(new(AuditCodes.SecurityDefinerFunction, AuditSeverity.Warning, sig,
                $"The SECURITY DEFINER function {sig} runs as a role that bypasses Row-Level Security ({owner}), and the audit cannot see which tables it reads: {what.Opaque}.",
                $"It runs with its owner's rights: if it reads {Bounded(possible)}, whoever may execute it sees every tenant's rows there.",
                $"Make it SECURITY INVOKER (ALTER FUNCTION {sig} SECURITY INVOKER;), or give it an owner without those rights."));
        }
    }

    /// <summary>At most ten table names, then how many more.</summary>
    private static string Bounded(List<ProtectedTable> tables) => tables.Count <= 10
        ? Names(tables)
        : $"{Names(tables.Take(10))} or any of {tables.Count - 10} more";

    private static string NotForced(int count) => count == 1 ? "which does not FORCE row level security" : "which do not FORCE row level security";

    private static string Names(IEnumerable<ProtectedTable> tables) => string.Join(", ", tables.Select(t => t.QuotedName).Distinct());
}
