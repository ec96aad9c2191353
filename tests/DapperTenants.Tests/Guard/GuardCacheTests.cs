using System.Data;
using DapperTenants.Guard;
using DapperTenants.Tests.Support;
using Npgsql;
using static DapperTenants.Tests.Guard.GuardHarness;

namespace DapperTenants.Tests.Guard;

[Category(Categories.Unit)]
public sealed class GuardCacheTests
{
    private const string TypicalInsert =
        "insert into orders (id, tenant, total) values (@Id, @Tenant, @Total) on conflict (id) do update set total = excluded.total returning id";

    [Test]
    public void A_cached_check_with_named_parameters_allocates_nothing()
    {
        var guard = new TenantGuard(Setting);
        using var command = new NpgsqlCommand();
        command.Parameters.Add(new NpgsqlParameter("Id", 1));
        command.Parameters.Add(new NpgsqlParameter("Tenant", "acme"));
        command.Parameters.Add(new NpgsqlParameter("Total", 9.5m));
        var parameters = command.Parameters;
        for (var i = 0; i < 100; i++)
        {
            guard.Check(TypicalInsert, CommandType.Text, parameters, "acme", TestCatalog);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            guard.Check(TypicalInsert, CommandType.Text, parameters, "acme", TestCatalog);
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBe(0);
    }

    [Test]
    public void The_plan_is_computed_once_per_text_and_catalog()
    {
        var guard = new TenantGuard(Setting);
        var plan = guard.GetPlan(TypicalInsert, TestCatalog);
        guard.GetPlan(new string(TypicalInsert.AsSpan()), TestCatalog).ShouldBeSameAs(plan);

        var refreshed = new DapperTenants.Catalog.TenantCatalog("app", false, false, "public", TestCatalog.Tables);
        guard.GetPlan(TypicalInsert, refreshed).ShouldNotBeSameAs(plan);
    }

    [Test]
    public void The_cache_is_bounded()
    {
        var guard = new TenantGuard(Setting);
        var first = guard.GetPlan("reset all", TestCatalog);
        guard.GetPlan("reset all", TestCatalog).ShouldBeSameAs(first);
        for (var i = 1; i <= TenantGuard.MaxCachedTexts; i++)
        {
            guard.GetPlan($"reset all -- {i}", TestCatalog);
        }

        guard.GetPlan("reset all", TestCatalog).ShouldNotBeSameAs(first);
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
        using var command = new NpgsqlCommand();
        Should.NotThrow(() => new TenantGuard(Setting).Check("reset all", CommandType.StoredProcedure, command.Parameters, "acme", TestCatalog));
        Should.Throw<TenantGuardException>(() => new TenantGuard(Setting).Check("reset all", CommandType.Text, command.Parameters, "acme", TestCatalog));
    }
}
