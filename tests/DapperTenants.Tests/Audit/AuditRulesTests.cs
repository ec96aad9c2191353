using DapperTenants.Audit;
using DapperTenants.Catalog;
using DapperTenants.Tests.Support;
using static DapperTenants.Tests.Audit.AuditFixtures;

namespace DapperTenants.Tests.Audit;

/// <summary>Rules the planted database does not reach, checked on hand-made catalog models.</summary>
[Category(Categories.Unit)]
public class AuditRulesTests
{
    [Test]
    public void An_always_true_policy_for_another_role_is_a_warning_and_for_PUBLIC_an_error()
    {
        var table = Table(1, "orders", policies:
        [
            TenantPolicy(), Policy(2, "support_all", "true", roles: ["reporting"]), Policy(3, "open_all", "true"),
        ]);
        Evaluate(Input([table])).ShouldBe(
        [
            ("DT004", AuditSeverity.Error, "open_all ON public.orders"),
            ("DT004", AuditSeverity.Warning, "support_all ON public.orders"),
        ]);
    }

    [Test]
    public void Restrictive_policies_and_policies_that_read_the_tenant_column_are_fine()
    {
        Evaluate(Input([Table(1, "orders", policies:
        [
            Policy(1, "only_open", "(status = 'open'::text)", permissive: false, columns: [3]),
            TenantPolicy(2),
        ])])).ShouldBeEmpty();
    }

    [Test]
    public void A_policy_for_a_group_of_the_app_role_that_ignores_the_tenant_is_an_error()
    {
        var table = Table(1, "orders", policies: [TenantPolicy(), Policy(2, "by_status", "(status = 'open'::text)", roles: ["app_group"], columns: [3])]);
        Evaluate(Input([table], App(policiesApplying: [2]))).ShouldBe([("DT005", AuditSeverity.Error, "by_status ON public.orders")]);
    }

    [Test]
    public void A_partition_of_an_unprotected_parent_is_covered_by_the_parents_finding()
    {
        Evaluate(Input([Table(1, "events", rls: false), Table(2, "events_2026", rls: false, parent: 1)]))
            .ShouldBe([("DT001", AuditSeverity.Error, "public.events")]);
    }

    [Test]
    public void No_tenant_table_gives_one_info_and_no_role_check()
    {
        Evaluate(Input([], noApp: true)).ShouldBe([("DT000", AuditSeverity.Info, "db")]);
    }

    [Test]
    public void A_superuser_app_role_is_reported_once_not_per_table()
    {
        var role = App("admin", superuser: true, bypass: true, privileges: [new(1, true, true, true)], temp: true, builtIns: ["pg_catalog.ts_stat(text)"]);
        Evaluate(Input([Table(1, "orders")], role)).ShouldBe([("DT010", AuditSeverity.Error, "admin")]);
    }

    [Test]
    public void Owning_a_table_hides_the_privileges_that_ownership_implies()
    {
        Evaluate(Input([Table(1, "orders")], App(privileges: [new(1, ActsAsOwner: true, Truncate: true, References: true)])))
            .ShouldBe([("DT012", AuditSeverity.Error, "public.orders")]);
    }

    [Test]
    public void Views_that_apply_the_policies_are_fine()
    {
        AuditCatalog.DependentView View(string name, bool invoker, bool superuserOwner, bool ownsTable) =>
            new(name, IsMaterialized: false, "someone", superuserOwner, invoker, 1, ownsTable);
        Evaluate(Input([Table(1, "orders")], views:
        [
            View("public.invoker", invoker: true, superuserOwner: true, ownsTable: false),
            View("public.by_owner_of_forced", invoker: false, superuserOwner: false, ownsTable: true),
            View("public.by_other_role", invoker: false, superuserOwner: false, ownsTable: false),
        ])).ShouldBeEmpty();
    }

    [Test]
    public void Findings_are_ordered_by_code_then_object()
    {
        var findings = AuditRules.Evaluate(Input([Table(2, "b", rls: false), Table(1, "a", rls: false)], versionNum: 150000, version: "15.0"));
        findings.Select(f => f.Code + " " + f.Target).ShouldBe(["DT001 public.a", "DT001 public.b", "DT060 PostgreSQL 15.0"]);
    }

    [Test]
    public void A_unique_index_that_does_not_lead_on_the_tenant_column_is_a_warning_and_one_that_does_is_fine()
    {
        var table = Table(1, "users", uniqueIndexes:
        [
            new TableIndex("users_pkey", IsPrimaryKey: true, [1, 2]),
            new TableIndex("users_email_key", IsPrimaryKey: false, [3]),
        ]);
        var findings = AuditRules.Evaluate(Input([table]));
        findings.Select(f => (f.Code, f.Severity, f.Target)).ShouldBe([("DT021", AuditSeverity.Warning, "users_email_key ON public.users")]);
        findings[0].Title.ShouldBe("The unique index users_email_key on public.users does not lead on the tenant column tenant.");
        findings[0].Fix.ShouldStartWith("Make it (tenant, …): for example ALTER TABLE public.users ADD UNIQUE (tenant, <key columns>);");
    }

    [Test]
    public void A_partitions_unique_indexes_are_its_parents_and_are_not_reported_twice()
    {
        var index = new TableIndex("events_id_key", IsPrimaryKey: false, [2]);
        Evaluate(Input([Table(1, "events", uniqueIndexes: [index]), Table(2, "events_2026", parent: 1, uniqueIndexes: [index])]))
            .ShouldBe([("DT021", AuditSeverity.Warning, "events_id_key ON public.events")]);
    }
}
