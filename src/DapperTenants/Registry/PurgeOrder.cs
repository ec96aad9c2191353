using DapperTenants.Catalog;

namespace DapperTenants.Registry;

/// <summary>
/// Orders the protected tables for a purge: a table before every table it references through a foreign key that
/// blocks deletes (NO ACTION, RESTRICT). Keys that cascade or set null/default change the referencing rows instead and
/// do not order anything. A table that references itself is purged leaves first (see <see cref="LifecycleSql.DeleteChunk"/>).
/// </summary>
internal static class PurgeOrder
{
    /// <summary>The tables, referencing tables first, ties by name.</summary>
    /// <exception cref="InvalidOperationException">Blocking foreign keys between different tables form a cycle.</exception>
    public static IReadOnlyList<ProtectedTable> Of(LifecycleCatalog catalog)
    {
        var byOid = catalog.Tables.ToDictionary(t => t.Oid);
        var edges = catalog.ForeignKeys
            .Where(k => k.Blocks && k.From != k.To && byOid.ContainsKey(k.From) && byOid.ContainsKey(k.To))
            .ToList();

        // referencedBy[t]: tables that must go before t.
        var pendingReferrers = catalog.Tables.ToDictionary(t => t.Oid, t => edges.Where(e => e.To == t.Oid).Select(e => e.From).ToHashSet());
        var ordered = new List<ProtectedTable>(catalog.Tables.Count);
        var left = catalog.Tables.OrderBy(t => t.QuotedName, StringComparer.Ordinal).ToList();
        while (left.Count > 0)
        {
            var ready = left.FirstOrDefault(t => pendingReferrers[t.Oid].Count == 0)
                ?? throw Cycle(left, edges, byOid);
            ordered.Add(ready);
            left.Remove(ready);
            foreach (var referrers in pendingReferrers.Values)
            {
                referrers.Remove(ready.Oid);
            }
        }

        return ordered;
    }

    /// <summary>The blocking foreign keys of <paramref name="table"/> to itself: its rows are deleted leaves first.</summary>
    public static IReadOnlyList<LifecycleCatalog.ForeignKey> SelfReferences(LifecycleCatalog catalog, ProtectedTable table) =>
        [.. catalog.ForeignKeys.Where(k => k.Blocks && k.From == table.Oid && k.To == table.Oid)];

    private static InvalidOperationException Cycle(List<ProtectedTable> left, List<LifecycleCatalog.ForeignKey> edges, Dictionary<uint, ProtectedTable> byOid)
    {
        var leftOids = left.Select(t => t.Oid).ToHashSet();
        var keys = edges.Where(e => leftOids.Contains(e.From) && leftOids.Contains(e.To))
            .Select(e => $"{e.Name} ({byOid[e.From].QuotedName} -> {byOid[e.To].QuotedName})")
            .Order(StringComparer.Ordinal);
        return new InvalidOperationException(
            $"The foreign keys {string.Join(", ", keys)} form a cycle, so no order of deletes empties these tables one chunk at a time, and nothing was deleted. "
            + "Make one key of the cycle ON DELETE CASCADE or ON DELETE SET NULL (the purge then deletes the other side first), or delete these rows by hand in one transaction and purge again.");
    }
}
