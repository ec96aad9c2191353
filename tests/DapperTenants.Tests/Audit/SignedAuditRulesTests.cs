using System.Globalization;
using DapperTenants.Audit;
using DapperTenants.Catalog;
using DapperTenants.Tests.Support;
using static DapperTenants.Tests.Audit.AuditFixtures;

namespace DapperTenants.Tests.Audit;

/// <summary>DT070: which protected tables still take the tenant from the raw setting instead of the signed context's verifier.</summary>
[Category(Categories.Unit)]
public sealed class SignedAuditRulesTests
{
    [Test]
    public void Without_the_signed_context_one_info_finding_lists_the_tables_that_trust_the_raw_setting()
    {
        var findings = Evaluate(signedInstalled: false, Raw(1), Raw(2), Raw(3, permissive: false), Verified(4));

        findings.Select(f => (f.Code, f.Severity, f.Target)).ShouldBe([("DT070", AuditSeverity.Info, "db")]);
        findings[0].Title.ShouldBe("2 protected tables take the tenant from the raw setting: public.t1, public.t2.");
        findings[0].Fix.ShouldBe("Install the signed context: 'dapper-tenants apply --signing-key-file <key>' (PolicyInstaller.UseSignedContext), "
            + "and give the application the same key in TenantOptions.SigningKey.");
    }

    [Test]
    public void The_info_finding_names_ten_tables_and_counts_the_rest()
    {
        var findings = Evaluate(false, [.. Enumerable.Range(1, 12).Select(i => Raw((uint)i))]);

        findings.ShouldHaveSingleItem().Title.ShouldEndWith(": public.t1, public.t10, public.t11, public.t12, public.t2, public.t3, public.t4, public.t5, public.t6, public.t7 and 2 more.");
    }

    [Test]
    public void With_the_signed_context_installed_each_table_that_trusts_the_raw_setting_is_an_error()
    {
        var findings = Evaluate(signedInstalled: true, Raw(1), Verified(2), Raw(3, permissive: false));

        findings.Select(f => (f.Code, f.Severity, f.Target)).ShouldBe([("DT070", AuditSeverity.Error, "public.t1")]);
        findings[0].Title.ShouldBe("The policy p1 on public.t1 takes the tenant from the raw setting, although the signed context is installed.");
    }

    [Test]
    public void Tables_whose_policies_all_call_the_verifier_have_no_finding()
    {
        Evaluate(true, Verified(1), Verified(2)).ShouldBeEmpty();
        Evaluate(false, Verified(1)).ShouldBeEmpty();
    }

    private static List<AuditFinding> Evaluate(bool signedInstalled, params (uint Table, TablePolicy Policy)[] policies)
    {
        var tables = policies.GroupBy(p => p.Table)
            .Select(g => Table(g.Key, "t" + g.Key.ToString(CultureInfo.InvariantCulture), policies: [.. g.Select(p => p.Policy)]))
            .ToList();
        return [.. AuditRules.Evaluate(Input(tables, signedInstalled: signedInstalled)).Where(f => f.Code == AuditCodes.RawTenantSetting)];
    }

    private static (uint, TablePolicy) Raw(uint table, bool permissive = true) => (table, Policy(
        table, "p" + table.ToString(CultureInfo.InvariantCulture), "(tenant = current_setting('dapper_tenants.tenant'::text, true))", permissive, columns: [1]));

    private static (uint, TablePolicy) Verified(uint table) => (table, Policy(
        table, "p" + table.ToString(CultureInfo.InvariantCulture), "(tenant = ( SELECT dapper_tenants.tenant_of('dapper_tenants.tenant'::text) AS tenant_of))",
        columns: [1], verifier: true));
}
