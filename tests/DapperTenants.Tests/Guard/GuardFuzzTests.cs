using System.Text;
using DapperTenants.Guard;
using DapperTenants.Tests.Support;
using Npgsql;
using static DapperTenants.Tests.Guard.GuardHarness;

namespace DapperTenants.Tests.Guard;

/// <summary>Random, truncated and enormous inputs: the guard finishes, and throws nothing but its own verdicts.</summary>
[Category(Categories.Unit)]
public sealed class GuardFuzzTests
{
    private static readonly string[] Fragments =
    [
        "insert", "into", "orders", "values", "(", ")", ",", ";", "'", "''", "\"", "E'", "U&'", "U&\"", "uescape", "$$", "$a$", "$1",
        "@t", ":t", "::", "::text", "--", "\n", "/*", "*/", "update", "set", "tenant", "=", "'globex'", "'acme'", "with", "as", "merge",
        "using", "when", "matched", "then", "case", "end", "select", "on", "conflict", "do", "default", "null", "cast", "[", "]", "\\",
        "1", "1.5e", "0x", "set_config", "reset", "all", "role", "dapper_tenants.tenant", "begin", "atomic", "explain", "analyze",
        " ", " ", " ", "\t", "é", "\ud83d", "\ude00", "\0", "+", "-", "*", "@", ":", ".", "B'", "N'", "X'", "row", "union", "copy", "from",
    ];

    private static readonly string[] Seeds =
    [
        "insert into orders (id, tenant) values (1, 'globex'), (2, E'glob\\x65x') on conflict (id) do update set tenant = @t returning *",
        "with x as (update orders set (total, tenant) = row(1, U&'glob!0065x' UESCAPE '!') returning 1) select * from x",
        "merge into orders t using (values (1)) s(id) on t.id = case when s.id > 0 then s.id end when matched and true then update set tenant = $q$globex$q$ when not matched then insert values (s.id, CAST(:t AS varchar(5)), 1)",
        "select set_config(setting_name => 'dapper_tenants.tenant', new_value => 'x', is_local => true); reset all; discard all",
        "explain (analyze) insert into \"Invoices\" select '{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}'::uuid, 1 /* c /* nested */ */ union all select $1, 2",
        "alter table if exists only public.orders no force row level security, disable row level security; copy orders (id) from stdin",
    ];

    [Test]
    public void Random_inputs_never_break_the_analyzer()
    {
        var random = new Random(20240611);
        for (var n = 0; n < 20_000; n++)
        {
            var builder = new StringBuilder();
            var length = random.Next(1, 40);
            for (var k = 0; k < length; k++)
            {
                builder.Append(random.Next(10) == 0 ? (char)random.Next(0, 0x3000) : Fragments[random.Next(Fragments.Length)]);
            }

            AnalyzeAndCheck(builder.ToString());
        }
    }

    [Test]
    public void Every_prefix_and_suffix_of_real_statements_is_handled()
    {
        foreach (var seed in Seeds)
        {
            for (var cut = 0; cut <= seed.Length; cut++)
            {
                AnalyzeAndCheck(seed[..cut]);
                AnalyzeAndCheck(seed[cut..]);
            }
        }
    }

    [Test]
    public void Mutated_real_statements_are_handled()
    {
        var random = new Random(77);
        for (var n = 0; n < 20_000; n++)
        {
            var chars = Seeds[random.Next(Seeds.Length)].ToCharArray();
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                const string Mutations = "'\"$()[];:@-/*\\ \nEU&";
                chars[random.Next(chars.Length)] = Mutations[random.Next(Mutations.Length)];
            }

            AnalyzeAndCheck(new string(chars));
        }
    }

    [Test]
    public void A_one_megabyte_insert_is_analyzed_and_judged()
    {
        var builder = new StringBuilder("insert into orders (id, tenant) values ");
        var row = 0;
        while (builder.Length < 1_000_000)
        {
            builder.Append(row == 0 ? string.Empty : ", ").Append('(').Append(row++).Append(", 'acme')");
        }

        var good = builder.ToString();
        Finishes(() => Verdict(good)).ShouldBe("pass");
        Finishes(() => Verdict(good + ", (0, 'globex')")).ShouldBe("INSERT public.orders globex");
    }

    [Test]
    public void Pathological_nesting_finishes()
    {
        var comments = string.Concat(Enumerable.Repeat("/*", 10_000)) + string.Concat(Enumerable.Repeat("*/", 10_000));
        Finishes(() => Verdict(comments + "insert into orders values (1, 'globex', 1)")).ShouldBe("INSERT public.orders globex");
        Finishes(() => Verdict(string.Concat(Enumerable.Repeat("/*", 10_000)) + "*/")).ShouldBe("pass");

        var parens = new string('(', 100_000) + "'globex'" + new string(')', 100_000);
        Finishes(() => Verdict($"insert into orders (id, tenant) values (1, {parens})")).ShouldBe("pass");
        Finishes(() => Verdict($"insert into orders (id, tenant) values (1, ((('globex'))))")).ShouldBe("INSERT public.orders globex");

        var ctes = string.Concat(Enumerable.Repeat("with x as (", 5_000)) + "select 1" + new string(')', 5_000) + " select 1";
        Finishes(() => Verdict(ctes)).ShouldBe("pass");

        var casts = "insert into orders (id, tenant) values (1, " + string.Concat(Enumerable.Repeat("cast(", 5_000)) + "'globex'"
            + string.Concat(Enumerable.Repeat(" as text)", 5_000)) + ")";
        Finishes(() => Verdict(casts)).ShouldBe("pass");
    }

    [Test]
    public void Pathological_statements_inside_statements_finish()
    {
        var prepares = string.Concat(Enumerable.Repeat("prepare p as ", 100_000)) + "select 1";
        Finishes(() => Verdict(prepares)).ShouldBe("pass");
        Finishes(() => Verdict(NewGuard(), prepares, "acme", sessionOutlivesLease: true)).ShouldBe("PREPARE");

        var explains = string.Concat(Enumerable.Repeat("explain analyze ", 100_000)) + "select 1";
        Finishes(() => Verdict(NewGuard(o => o.AllowExplainAnalyze = true), explains, "acme", sessionOutlivesLease: false)).ShouldBe("pass");

        var queries = string.Concat(Enumerable.Repeat("select query_to_xml('", 1_000)) + "select 1" + string.Concat(Enumerable.Repeat("', false, false, '')", 1_000));
        Finishes(() => Verdict(queries)).ShouldBe("query_to_xml");
    }

    [Test]
    public void Pathological_literals_finish()
    {
        var tag = "$" + new string('t', 200_000) + "$";
        var body = string.Concat(Enumerable.Repeat("$" + new string('t', 199_999) + "x", 5));
        Finishes(() => Verdict($"select {tag}{body}{tag}; set dapper_tenants.tenant = 'x'")).ShouldBe("SET");
        Finishes(() => Verdict("select '" + new string('\'', 1_000_001))).ShouldBe("pass");
        Finishes(() => Verdict("select E'" + string.Concat(Enumerable.Repeat("\\\\", 500_000)) + "'")).ShouldBe("pass");
        Finishes(() => Verdict(string.Concat(Enumerable.Repeat("'a'\n", 200_000)))).ShouldBe("pass");
        Finishes(() => Verdict(string.Concat(Enumerable.Repeat("+-", 500_000)))).ShouldBe("pass");
        Finishes(() => Verdict(string.Concat(Enumerable.Repeat("a.", 500_000)))).ShouldBe("pass");
    }

    private static T Finishes<T>(Func<T> work)
    {
        // Not a timing assertion: a hang would otherwise stop the whole run. A linear pass takes milliseconds.
        var task = Task.Run(work);
        task.Wait(TimeSpan.FromSeconds(60)).ShouldBeTrue("the guard did not finish");
        return task.Result;
    }

    private static void AnalyzeAndCheck(string sql)
    {
        // The analyzer and the checks must not fail: both are built to throw their internal failures here.
        var plan = GuardAnalyzer.Analyze(sql, TestCatalog, new GuardOptions(Setting), surfaceFailures: true);
        var permissive = GuardAnalyzer.Analyze(sql, TestCatalog, new GuardOptions(Setting, AllowDynamicSql: true, AllowExplainAnalyze: true), surfaceFailures: true);
        using var command = new NpgsqlCommand();
        command.Parameters.AddWithValue("t", "globex");
        foreach (var candidate in new[] { plan, permissive })
        {
            foreach (var outlives in new[] { false, true })
            {
                try
                {
                    candidate.Evaluate(command.Parameters, new GuardContext("acme", outlives));
                }
                catch (TenantGuardException)
                {
                }
            }
        }
    }
}
