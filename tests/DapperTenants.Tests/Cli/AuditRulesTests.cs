using DapperTenants.Cli.Audit;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Cli;

/// <summary>Rules the planted database does not reach, checked on hand-made snapshots.</summary>
[Category(Categories.Unit)]
public class AuditRulesTests
{
    private static readonly DateOnly Today = new(2026, 11, 28);

    private static TenantTable Table(long oid, string name, bool rls = true, bool forced = true, bool partition = false, long? parent = null) =>
        new(oid, name, partition, parent, rls, forced, "owner", OwnerBypassesRls: false, "tenant", TenantAttnum: 1, PolicyCount: rls ? 1 : 0, HasTenantIndex: true);

    private static AuditSnapshot Snapshot(
        IReadOnlyList<TenantTable> tables,
        IReadOnlyList<PolicyInfo>? policies = null,
        IReadOnlyList<DependentView>? views = null,
        AppRoleInfo? appRole = null) =>
        new("db", 180006, "18.6", ["tenant"], tables, policies ?? [], [], views ?? [], [], appRole ?? new AppRoleInfo("app", "app", true, false, false, []));

    private static List<(string, Severity, string)> Evaluate(AuditSnapshot snapshot) =>
        AuditRules.Evaluate(snapshot, Today).Select(f => (f.Code, f.Severity, f.Object)).ToList();

    [Test]
    public void An_always_true_policy_for_another_role_is_a_warning_and_for_PUBLIC_an_error()
    {
        var table = Table(1, "public.orders");
        PolicyInfo Policy(string name, bool forPublic) => new(1, name, Permissive: true, "true", "", forPublic ? ["PUBLIC"] : ["reporting"], forPublic, false, []);
        Evaluate(Snapshot([table], [Policy("support_all", forPublic: false), Policy("open_all", forPublic: true)])).ShouldBe(
        [
            ("DT004", Severity.Error, "open_all ON public.orders"),
            ("DT004", Severity.Warning, "support_all ON public.orders"),
        ]);
    }

    [Test]
    public void Restrictive_policies_and_policies_that_read_the_tenant_column_are_fine()
    {
        var table = Table(1, "public.orders");
        Evaluate(Snapshot([table],
        [
            new(1, "only_open", Permissive: false, "(status = 'open'::text)", "", ["PUBLIC"], true, false, [2]),
            new(1, "tenant_isolation", Permissive: true, "(tenant = current_setting('x.y'::text, true))", "", ["PUBLIC"], true, false, [1]),
        ])).ShouldBeEmpty();
    }

    [Test]
    public void A_policy_for_a_group_of_the_app_role_that_ignores_the_tenant_is_an_error()
    {
        var table = Table(1, "public.orders");
        Evaluate(Snapshot([table], [new(1, "by_status", Permissive: true, "(status = 'open'::text)", "", ["app_group"], false, AppliesToAppRole: true, [2])]))
            .ShouldBe([("DT005", Severity.Error, "by_status ON public.orders")]);
    }

    [Test]
    public void A_partition_of_an_unprotected_parent_is_covered_by_the_parents_finding()
    {
        Evaluate(Snapshot([Table(1, "public.events", rls: false), Table(2, "public.events_2026", rls: false, partition: true, parent: 1)]))
            .ShouldBe([("DT001", Severity.Error, "public.events")]);
    }

    [Test]
    public void No_tenant_table_gives_one_info_and_no_role_check()
    {
        Evaluate(Snapshot([], appRole: null) with { AppRole = null }).ShouldBe([("DT000", Severity.Info, "db")]);
    }

    [Test]
    public void A_superuser_app_role_is_reported_once_not_per_table()
    {
        var role = new AppRoleInfo("admin", "admin", true, IsSuperuser: true, BypassesRls: true, [new TablePrivileges(1, true, true, true)]);
        Evaluate(Snapshot([Table(1, "public.orders")], appRole: role)).ShouldBe([("DT010", Severity.Error, "admin")]);
    }

    [Test]
    public void Owning_a_table_hides_the_privileges_that_ownership_implies()
    {
        var role = new AppRoleInfo("app", "app", true, false, false, [new TablePrivileges(1, ActsAsOwner: true, Truncate: true, References: true)]);
        Evaluate(Snapshot([Table(1, "public.orders")], appRole: role)).ShouldBe([("DT012", Severity.Error, "public.orders")]);
    }

    [Test]
    public void Views_that_apply_the_policies_are_fine()
    {
        DependentView View(string name, bool invoker, bool superuserOwner, bool ownsTable) =>
            new(name, IsMaterialized: false, "someone", superuserOwner, invoker, 1, ownsTable);
        var forced = Table(1, "public.orders");
        Evaluate(Snapshot([forced],
        views:
        [
            View("public.invoker", invoker: true, superuserOwner: true, ownsTable: false),
            View("public.by_owner_of_forced", invoker: false, superuserOwner: false, ownsTable: true),
            View("public.by_other_role", invoker: false, superuserOwner: false, ownsTable: false),
        ])).ShouldBeEmpty();
    }

    [Test]
    public void Findings_are_ordered_by_code_then_object()
    {
        var findings = AuditRules.Evaluate(Snapshot([Table(2, "public.b", rls: false), Table(1, "public.a", rls: false)]) with { ServerVersionNum = 150000, ServerVersion = "15.0" }, Today);
        findings.Select(f => f.Code + " " + f.Object).ShouldBe(["DT001 public.a", "DT001 public.b", "DT060 PostgreSQL 15.0"]);
    }
}
