using DapperTenants.Audit;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Audit;

[Category(Categories.Unit)]
public class ServerAdvisoryTests
{
    private static readonly DateOnly Today = new(2026, 11, 28);

    [TestCase(150013, "15.13", "CVE-2025-8713", "15.14")]
    [TestCase(150002, "15.2", "CVE-2023-2455; CVE-2023-39418; CVE-2024-10976; CVE-2025-8713", "15.14")]
    [TestCase(170000, "17.0", "CVE-2024-10976; CVE-2025-8713", "17.6")]
    [TestCase(160004, "16.4", "CVE-2024-10976; CVE-2025-8713", "16.10")]
    [TestCase(140018, "14.18", "CVE-2025-8713", "14.19")]
    public void A_server_below_the_fixes_of_its_line_gets_one_warning_naming_each_CVE(int versionNum, string version, string cves, string safe)
    {
        var findings = ServerAdvisory.Evaluate(versionNum, version + " (Debian)", Today).ToList();
        var finding = findings.Single(f => f.Code == AuditCodes.ServerUnpatched);
        finding.Severity.ShouldBe(AuditSeverity.Warning);
        finding.Target.ShouldBe("PostgreSQL " + version);
        System.Text.RegularExpressions.Regex.Matches(finding.Title, @"CVE-\d{4}-\d+").Select(m => m.Value).ShouldBe(cves.Split("; "));
        finding.Title.ShouldStartWith($"PostgreSQL {version} lacks Row-Level Security fixes released for PostgreSQL {version.Split('.')[0]}: ");
        finding.Fix.ShouldStartWith($"Upgrade to {safe} or later");
    }

    [TestCase(150014)]
    [TestCase(150018)]
    [TestCase(160010)]
    [TestCase(170006)]
    [TestCase(180000)]
    [TestCase(190000)]
    public void A_patched_supported_server_gets_no_finding(int versionNum) =>
        ServerAdvisory.Evaluate(versionNum, "x", Today).ShouldBeEmpty();

    [Test]
    public void A_line_past_end_of_life_gets_its_own_warning()
    {
        var findings = ServerAdvisory.Evaluate(140024, "14.24", Today).ToList();
        findings.Single().Code.ShouldBe(AuditCodes.ServerEndOfLife);
        findings.Single().Title.ShouldBe("PostgreSQL 14 reached end of life on 2026-11-12.");
        ServerAdvisory.Evaluate(140024, "14.24", new DateOnly(2026, 6, 1)).ShouldBeEmpty("before its end of life 14.24 is fine");
    }

    [Test]
    public void An_old_line_is_both_unpatched_and_past_end_of_life()
    {
        var findings = ServerAdvisory.Evaluate(130010, "13.10", Today).Select(f => f.Code).ToList();
        findings.ShouldBe([AuditCodes.ServerUnpatched, AuditCodes.ServerEndOfLife]);
        ServerAdvisory.Evaluate(90624, "9.6.24", Today).Single().Title.ShouldBe("PostgreSQL 9.6 reached end of life years ago.");
    }

    [TestCase(150018, 15, 18)]
    [TestCase(100023, 10, 23)]
    [TestCase(180000, 18, 0)]
    public void Server_version_num_splits_into_major_and_minor(int versionNum, int major, int minor) =>
        ServerAdvisory.Split(versionNum).ShouldBe((major, minor));
}
