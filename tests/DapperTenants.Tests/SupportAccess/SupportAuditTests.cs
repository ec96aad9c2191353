using DapperTenants.Audit;
using DapperTenants.Catalog;
using DapperTenants.Tests.Audit;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.SupportAccess;

/// <summary>DT120: the audit flags an app login that could use the support path or touch the access log.</summary>
public class SupportAuditTests
{
    private static readonly ProtectedTable[] Tables = [AuditFixtures.Table(1, "orders")];

    [Test]
    [Category(Categories.Unit)]
    public void An_app_login_without_reach_into_the_support_path_gets_no_DT120()
    {
        var app = AuditFixtures.App() with { Support = new AuditCatalog.SupportReach(false, [], []) };
        AuditFixtures.Evaluate(AuditFixtures.Input(Tables, app)).ShouldNotContain(f => f.Code == AuditCodes.AppRoleCanUseSupport);
    }

    [Test]
    [Category(Categories.Unit)]
    public void Each_way_into_the_support_path_is_its_own_DT120_error()
    {
        var reach = new AuditCatalog.SupportReach(true, ["INSERT", "DELETE"], ["ops_support"]) { MayLogWrite = true, WriteLogPrivileges = ["SELECT"] };
        var app = AuditFixtures.App() with { Support = reach };
        var findings = AuditRules.Evaluate(AuditFixtures.Input(Tables, app)).Where(f => f.Code == AuditCodes.AppRoleCanUseSupport).ToList();
        findings.Select(f => (f.Severity, f.Target)).ShouldBe(
        [
            (AuditSeverity.Error, "\"dapper_tenants\".\"access_log\""),
            (AuditSeverity.Error, "\"dapper_tenants\".\"access_log_writes\""),
            (AuditSeverity.Error, SupportNames.BeginSignature),
            (AuditSeverity.Error, SupportNames.WriteSignature),
            (AuditSeverity.Error, "app"),
        ]);
        findings[0].Title.ShouldBe("The app role app holds INSERT, DELETE on the access log \"dapper_tenants\".\"access_log\".");
        findings[1].Title.ShouldBe("The app role app holds SELECT on the write log \"dapper_tenants\".\"access_log_writes\".");
        findings[3].Title.ShouldBe("The app role app may execute \"dapper_tenants\".\"log_support_write\"(pg_catalog.text).");
        findings[4].Title.ShouldBe("The app role app is a member of the support role ops_support.");
    }

    [Test]
    [Category(Categories.Database)]
    public async Task The_audit_reads_each_way_in_from_the_catalog_and_goes_red_until_it_is_closed()
    {
        await using var db = await SupportDatabase.CreateAsync("support_audit");
        (await Dt120Async(db)).ShouldBeEmpty();

        var function = "dapper_tenants.begin_support_session(text, text, text[], bool, bool, text)";
        await db.Orders.Database.ExecuteAsOwnerAsync(
            $"GRANT EXECUTE ON FUNCTION {function} TO PUBLIC; GRANT UPDATE, DELETE, TRUNCATE ON dapper_tenants.access_log TO \"{db.AppRole}\"; "
            + $"GRANT EXECUTE ON FUNCTION dapper_tenants.log_support_write(text) TO \"{db.AppRole}\"; GRANT SELECT ON dapper_tenants.access_log_writes TO PUBLIC;");
        await db.Orders.Database.ExecuteAsAdminAsync($"GRANT \"{db.SupportRole}\" TO \"{db.AppRole}\";");
        (await Dt120Async(db)).ShouldBe(
        [
            ("\"dapper_tenants\".\"access_log\"", $"The app role {db.AppRole} holds UPDATE, DELETE, TRUNCATE on the access log \"dapper_tenants\".\"access_log\"."),
            ("\"dapper_tenants\".\"access_log_writes\"", $"The app role {db.AppRole} holds SELECT on the write log \"dapper_tenants\".\"access_log_writes\"."),
            (SupportNames.BeginSignature, $"The app role {db.AppRole} may execute {SupportNames.BeginSignature}."),
            (SupportNames.WriteSignature, $"The app role {db.AppRole} may execute {SupportNames.WriteSignature}."),
            (db.AppRole, $"The app role {db.AppRole} is a member of the support role {db.SupportRole}."),
        ]);

        await db.Orders.Database.ExecuteAsAdminAsync($"REVOKE \"{db.SupportRole}\" FROM \"{db.AppRole}\";");
        var fixedPlan = await new PolicyInstaller(db.Owner).Add<SupportOrder>().GrantTo(db.AppRole).UseSupportAccess(db.SupportRole).ApplyAsync();
        fixedPlan.IsEmpty.ShouldBeFalse();
        (await Dt120Async(db)).ShouldBeEmpty();
    }

    private static async Task<List<(string Target, string Title)>> Dt120Async(SupportDatabase db)
    {
        var report = await new TenantAudit(db.Owner, new TenantAuditOptions { AppRole = db.AppRole }).RunAsync();
        var sync = new TenantAudit(db.Owner, new TenantAuditOptions { AppRole = db.AppRole }).Run();
        sync.Findings.Count(f => f.Code == AuditCodes.AppRoleCanUseSupport).ShouldBe(report.Findings.Count(f => f.Code == AuditCodes.AppRoleCanUseSupport));
        return [.. report.Findings.Where(f => f.Code == AuditCodes.AppRoleCanUseSupport).Select(f => (f.Target, f.Title))];
    }
}
