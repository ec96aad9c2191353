using DapperTenants.Audit;
using DapperTenants.Catalog;
using DapperTenants.Tests.Support;
using static DapperTenants.Tests.Audit.AuditFixtures;

namespace DapperTenants.Tests.Audit;

/// <summary>Which tenant tables a function's body reads, through the functions it calls, and which bodies the audit cannot read.</summary>
[Category(Categories.Unit)]
public class FunctionReadsTests
{
    private static readonly CatalogTables Tables = new([Table(1, "orders"), Table(2, "invoices")]);

    [TestCase("select count(*) from orders", "1")]
    [TestCase("select count(*) from public.orders join \"invoices\" using (tenant)", "1,2")]
    [TestCase("select count(*) from other.orders", "", Description = "another schema's table of that name")]
    [TestCase("select 'orders'", "", Description = "a string is not a read")]
    [TestCase("select 1", "")]
    public void A_sql_body_reads_the_tables_it_names(string body, string tables) =>
        Reads(Function(1, "f", body)).ShouldBe((tables, (string?)null));

    [Test]
    public void Calls_are_followed_into_the_functions_called() =>
        Reads(Function(1, "outer_f", "select public.inner_f()"), Function(2, "inner_f", "select count(*) from invoices")).ShouldBe(("2", (string?)null));

    [Test]
    public void In_a_cycle_each_function_reads_what_the_other_reads_whichever_is_asked_first()
    {
        var a = Function(1, "a", "select count(*) from orders union all select b()");
        var b = Function(2, "b", "select a()");
        var reads = new FunctionReads([a, b], Tables);
        reads.Of(a).Tables.ToArray().ShouldBe([1u]);
        reads.Of(b).Tables.ToArray().ShouldBe([1u], "b reaches orders through a");
    }

    [TestCase("plpgsql", "begin execute 'select count(*) from ' || t; end", "it runs dynamic SQL (EXECUTE), which the audit cannot follow")]
    [TestCase("sql", "select query_to_xml('select * from orders', true, true, '')", "it calls query_to_xml(), which runs SQL given as text")]
    [TestCase("plpython3u", "return plpy.execute('select 1')", "it is written in plpython3u, which the audit cannot read")]
    public void A_body_the_audit_cannot_read_says_why(string language, string body, string why) =>
        Reads(Function(1, "f", body, language)).Opaque.ShouldBe(why);

    [Test]
    public void An_opaque_callee_makes_the_caller_opaque() =>
        Reads(Function(1, "f", "select g()"), Function(2, "g", "x", "c")).Opaque.ShouldBe("it calls public.g(), and it is written in c, which the audit cannot read");

    [Test]
    public void A_sql_standard_body_reads_the_relations_of_its_tree_not_its_text() =>
        Reads(Function(1, "f", string.Empty) with { IsAtomic = true, AtomicReads = [2, 99], AtomicCalls = [] }).ShouldBe(("2", (string?)null));

    /// <summary>The tables the first function reads, as "1,2", and why its reads are unknown.</summary>
    private static (string Tables, string? Opaque) Reads(params AuditCatalog.Function[] functions)
    {
        var reads = new FunctionReads(functions, Tables).Of(functions[0]);
        return (string.Join(",", reads.Tables.Order()), reads.Opaque);
    }

    private static AuditCatalog.Function Function(uint oid, string name, string body, string language = "sql") =>
        new(oid, $"public.{name}()", "public", name, "owner", OwnerBypassesRls: true, SecurityDefiner: true, language, body, IsAtomic: false, [], [], []);
}
