using DapperTenants.Catalog;
using DapperTenants.Registry;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Lifecycle;

/// <summary>The purge's order from hand-made catalogs: blocking keys order, other keys do not, cycles are refused by name.</summary>
[Category(Categories.Unit)]
public class PurgeOrderTests
{
    private static ProtectedTable Table(uint oid, string name) => new("public", name, "tenant", "text", ["tenant", "id"]) { Oid = oid, QuotedName = "public." + name };

    private static LifecycleCatalog.ForeignKey Key(string name, uint from, uint to, char onDelete = 'a') => new(name, from, to, onDelete, ["tenant", "x"], ["tenant", "id"]);

    private static string[] Order(ProtectedTable[] tables, params LifecycleCatalog.ForeignKey[] keys) =>
        [.. PurgeOrder.Of(new LifecycleCatalog(tables, keys, Array.Empty<(uint, string)>().ToLookup(g => g.Item1, g => g.Item2))).Select(t => t.Table)];

    [Test]
    public void A_referencing_table_goes_before_the_table_it_references_and_ties_go_by_name()
    {
        Order([Table(1, "a_parent"), Table(2, "b_child"), Table(3, "c_free")], Key("child_parent", 2, 1)).ShouldBe(["b_child", "a_parent", "c_free"]);
    }

    [Test]
    public void Keys_that_cascade_or_set_null_and_self_references_order_nothing()
    {
        Order([Table(1, "a_parent"), Table(2, "b_child")], Key("cascades", 2, 1, 'c'), Key("nulls", 2, 1, 'n'), Key("tree", 1, 1))
            .ShouldBe(["a_parent", "b_child"]);
    }

    [Test]
    public void Blocking_keys_in_a_cycle_are_refused_naming_them_and_the_fix()
    {
        var cycle = Should.Throw<InvalidOperationException>(() => Order([Table(1, "a"), Table(2, "b"), Table(3, "c")], Key("a_b", 1, 2), Key("b_a", 2, 1, 'r')));
        cycle.Message.ShouldBe("The foreign keys a_b (public.a -> public.b), b_a (public.b -> public.a) form a cycle, so no order of deletes empties these tables "
            + "one chunk at a time, and nothing was deleted. Make one key of the cycle ON DELETE CASCADE or ON DELETE SET NULL (the purge then deletes the other "
            + "side first), or delete these rows by hand in one transaction and purge again.");
    }
}
