using System.Text;
using DapperTenants.Guard;
using DapperTenants.Tests.Support;
using Npgsql;
using static DapperTenants.Tests.Guard.GuardHarness;

namespace DapperTenants.Tests.Guard;

/// <summary>
/// The structural pass spends a work budget; once it is spent, tenant values are left to the database's policies. The
/// refusals never depend on it: they come from a complete linear pass over every statement of the text.
/// </summary>
[Category(Categories.Unit)]
public sealed class GuardBudgetTests
{
    private static readonly GuardOptions Options = new(Setting);

    [Test]
    public void Within_the_budget_every_row_is_judged() =>
        Verdict(Values(1_000) + ", (0, 'globex')").ShouldBe("INSERT public.orders globex");

    [Test]
    public void Past_the_budget_tenant_values_are_left_to_the_database()
    {
        // 200,000 rows: more structural work than the budget allows, so the wrong row goes to the database, which refuses it.
        Verdict(Values(200_000) + ", (0, 'globex')").ShouldBe("pass");
        Judge(Values(100) + ", (0, 'globex')", budget: 50).ShouldBe("pass");
        Judge(Values(100) + ", (0, 'globex')", budget: 5_000).ShouldBe("INSERT public.orders globex");
    }

    [Test]
    public void A_refusal_anywhere_in_a_text_past_the_budget_still_stands()
    {
        var huge = Values(200_000);
        Verdict(huge + "; set role postgres").ShouldBe("SET ROLE");
        Verdict(huge + "; select set_config('dapper_tenants.tenant', 'globex', true)").ShouldBe("set_config");
        Verdict(huge + ", (0, (select set_config('dapper_tenants.tenant', 'globex', true)))").ShouldBe("set_config");
        Verdict(huge + "; with x as (update pg_settings set setting = 'x' returning 1) select 1").ShouldBe("UPDATE pg_catalog.pg_settings");
        Verdict(huge + "; select query_to_xml('select set_config(''dapper_tenants.tenant'', ''globex'', true)', false, false, '')").ShouldBe("set_config");
        Verdict(huge + "; do $$ begin null; end $$").ShouldBe("DO");
        Verdict(huge + "; explain analyze select 1").ShouldBe("EXPLAIN ANALYZE");
        Verdict(NewGuard(), huge + "; create temp table t (id int)", "acme", sessionOutlivesLease: true).ShouldBe("CREATE TEMP TABLE");
    }

    [Test]
    public void Checks_found_before_the_budget_ran_out_still_stand()
    {
        const string First = "insert into orders (id, tenant) values (1, 'globex'); ";
        Judge(First + Values(100), budget: 50).ShouldBe("INSERT public.orders globex");
        Judge(Values(100) + "; " + First, budget: 50).ShouldBe("pass");
    }

    [Test]
    public void The_analysis_stops_at_the_first_refusal_that_holds_for_every_execution()
    {
        var plan = GuardAnalyzer.Analyze(string.Concat(Enumerable.Repeat("set role postgres; ", 100_000)), TestCatalog, Options, surfaceFailures: true);
        plan.Checks.Count.ShouldBe(1);

        // Checks that depend on the execution keep their place before it.
        var mixed = GuardAnalyzer.Analyze("insert into orders (id, tenant) values (1, @t); reset all; insert into orders (id, tenant) values (2, @u)",
            TestCatalog, Options, surfaceFailures: true);
        mixed.Checks.Count.ShouldBe(2);
        mixed.Checks[0].ShouldBeOfType<TenantValueCheck>();
        mixed.Checks[1].AlwaysRefuses.ShouldBeTrue();
    }

    [Test]
    public void Identical_checks_are_kept_once()
    {
        var plan = GuardAnalyzer.Analyze(Values(10_000), TestCatalog, Options, surfaceFailures: true);
        plan.Checks.Count.ShouldBe(1);
        var session = GuardAnalyzer.Analyze(string.Concat(Enumerable.Repeat("set work_mem = '1MB'; ", 10_000)), TestCatalog, Options, surfaceFailures: true);
        session.Checks.Count.ShouldBe(1);
    }

    [Test]
    public void Thousands_of_placeholders_are_each_read_from_their_own_parameter()
    {
        var sql = "insert into orders (id, tenant) values " + string.Join(", ", Enumerable.Range(0, 5_000).Select(i => $"({i}, @t{i})"));
        using var command = new NpgsqlCommand();
        for (var i = 0; i < 5_000; i++)
        {
            command.Parameters.AddWithValue($"t{i}", i == 4_321 ? "globex" : "acme");
        }

        Verdict(NewGuard(), sql, command.Parameters, "acme").ShouldBe("INSERT public.orders globex");
        command.Parameters[4_321].Value = "acme";
        Verdict(NewGuard(), sql, command.Parameters, "acme").ShouldBe("pass");
    }

    private static string Values(int rows)
    {
        var builder = new StringBuilder("insert into orders (id, tenant) values ");
        for (var i = 0; i < rows; i++)
        {
            builder.Append(i == 0 ? "(" : ", (").Append(i).Append(", 'acme')");
        }

        return builder.ToString();
    }

    private static string Judge(string sql, int budget)
    {
        var plan = GuardAnalyzer.Analyze(SqlLexer.Tokenize(sql), TestCatalog, Options, surfaceFailures: true, budget: budget);
        using var command = new NpgsqlCommand();
        try
        {
            plan.Evaluate(command.Parameters, new GuardContext("acme", SessionOutlivesLease: false));
            return "pass";
        }
        catch (TenantGuardException ex)
        {
            return string.Join(" ", new[] { ex.StatementKind, ex.Table, ex.FoundTenant }.Where(p => p is not null));
        }
    }
}
