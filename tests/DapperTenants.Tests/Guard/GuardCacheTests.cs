using System.Data;
using DapperTenants.Catalog;
using DapperTenants.Guard;
using DapperTenants.Tests.Support;
using Npgsql;
using static DapperTenants.Tests.Guard.GuardHarness;

namespace DapperTenants.Tests.Guard;

/// <summary>The guard's cache and its production behaviour: one analysis per text, bounded, failing open to the database.</summary>
[Category(Categories.Unit)]
public sealed class GuardCacheTests
{
    private const string TypicalInsert =
        "insert into orders (id, tenant, total) values (@Id, @Tenant, @Total) on conflict (id) do update set total = excluded.total returning id";

    [Test]
    public void A_cached_check_with_named_parameters_allocates_nothing()
    {
        var guard = NewGuard();
        using var command = Command(("Id", 1), ("Tenant", "acme"), ("Total", 9.5m));
        var parameters = command.Parameters;
        var context = new GuardContext("acme", SessionOutlivesLease: true);
        guard.Analyze(TypicalInsert, CommandType.Text, TestCatalog).Plan.Checks.Count.ShouldBe(1);

        // The JIT's tiering may allocate once while the loop runs (24 bytes, seen with tiered PGO); a check that
        // allocated would do so in every round of 10,000 calls.
        var rounds = new List<long>();
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 10_000; i++)
            {
                guard.Analyze(TypicalInsert, CommandType.Text, TestCatalog).Plan.Evaluate(parameters, context);
            }

            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        rounds.Min().ShouldBe(0, $"bytes allocated per round of 10,000 checks: {string.Join(", ", rounds)}");
    }

    [Test]
    public void The_analysis_is_made_once_per_text_and_catalog()
    {
        var guard = NewGuard();
        var text = guard.Analyze(TypicalInsert, CommandType.Text, TestCatalog);
        guard.Analyze(new string(TypicalInsert.AsSpan()), CommandType.Text, TestCatalog).ShouldBeSameAs(text);

        var refreshed = new TenantCatalog("app", false, false, "public", TestCatalog.Tables);
        guard.Analyze(TypicalInsert, CommandType.Text, refreshed).ShouldNotBeSameAs(text);
    }

    [Test]
    public void The_cache_holds_a_bounded_number_of_texts()
    {
        var guard = NewGuard();
        var first = guard.Analyze("reset all", CommandType.Text, TestCatalog);
        guard.Analyze("reset all", CommandType.Text, TestCatalog).ShouldBeSameAs(first);
        for (var i = 1; i <= TenantGuard.MaxCachedTexts; i++)
        {
            guard.Analyze($"reset all -- {i}", CommandType.Text, TestCatalog);
        }

        guard.Analyze("reset all", CommandType.Text, TestCatalog).ShouldNotBeSameAs(first);
    }

    [Test]
    public void Texts_up_to_16_KB_are_cached_and_longer_ones_are_analyzed_each_time()
    {
        TenantGuard.MaxCachedLength.ShouldBe(16 * 1024, "the README states the limit");
        var guard = NewGuard();
        var longest = "select 1 -- " + new string('x', TenantGuard.MaxCachedLength - 12);
        var tooLong = longest + "x";
        longest.Length.ShouldBe(16 * 1024);

        guard.Analyze(longest, CommandType.Text, TestCatalog).ShouldBeSameAs(guard.Analyze(longest, CommandType.Text, TestCatalog));
        var once = guard.Analyze(tooLong, CommandType.Text, TestCatalog);
        guard.Analyze(tooLong, CommandType.Text, TestCatalog).ShouldNotBeSameAs(once);
    }

    [Test]
    public void One_plan_judges_each_execution_by_its_own_parameters_and_tenant()
    {
        Verdict(TypicalInsert, "acme", ("Id", 1), ("Tenant", "acme"), ("Total", 1)).ShouldBe("pass");
        Verdict(TypicalInsert, "acme", ("Id", 1), ("Tenant", "globex"), ("Total", 1)).ShouldBe("INSERT public.orders globex");
        Verdict(TypicalInsert, "globex", ("Id", 1), ("Tenant", "globex"), ("Total", 1)).ShouldBe("pass");
    }

    [Test]
    public void Stored_procedure_commands_are_not_parsed()
    {
        var guard = NewGuard();
        guard.Analyze("reset all", CommandType.StoredProcedure, TestCatalog).ShouldBeSameAs(SqlText.Procedure);
        guard.Analyze("reset all", CommandType.Text, TestCatalog).Plan.Checks.ShouldNotBeEmpty();
    }

    [Test]
    public void The_text_shape_is_known_with_the_guard_off()
    {
        var off = new TenantGuard(new GuardOptions(Setting), enabled: false, surfaceFailures: true);
        var text = off.Analyze("begin; reset all; commit", CommandType.Text, TestCatalog);
        text.StatementCount.ShouldBe(3);
        text.ChangesTransaction.ShouldBeTrue();
        text.Plan.ShouldBeSameAs(GuardPlan.Pass);
    }

    // A catalog entry the analyzer cannot read (a null type) makes it fail internally: the way to see both behaviours.
    private static readonly TenantCatalog BrokenCatalog = new("app", false, false, "public",
        [new ProtectedTable("public", "orders", "tenant", null!, ["id", "tenant"])]);

    [Test]
    public void An_internal_failure_lets_the_command_through_in_production()
    {
        var production = new TenantGuard(new TenantOptions());
        var text = production.Analyze("insert into orders (id, tenant) values (1, 'globex')", CommandType.Text, BrokenCatalog);
        text.Plan.ShouldBeSameAs(GuardPlan.Pass);
        text.StatementCount.ShouldBe(2, "the shape of a text that failed is assumed to be the safest one");
        text.ChangesTransaction.ShouldBeTrue();
    }

    [Test]
    public void An_internal_failure_is_thrown_where_tests_can_see_it()
    {
        Should.Throw<NullReferenceException>(() =>
            NewGuard().Analyze("insert into orders (id, tenant) values (1, 'globex')", CommandType.Text, BrokenCatalog));
    }

    [Test]
    public void A_check_that_fails_internally_is_skipped_in_production_and_thrown_in_tests()
    {
        using var command = new NpgsqlCommand();
        var context = new GuardContext("acme", SessionOutlivesLease: false);
        new GuardPlan([new FailingCheck()]).Evaluate(command.Parameters, context);
        Should.Throw<InvalidOperationException>(() => new GuardPlan([new FailingCheck()], surfaceFailures: true).Evaluate(command.Parameters, context));
    }

    private sealed class FailingCheck : GuardCheck
    {
        public override TenantGuardException? Evaluate(ref GuardEvaluation evaluation) => throw new InvalidOperationException("a bug in a check");
    }
}
