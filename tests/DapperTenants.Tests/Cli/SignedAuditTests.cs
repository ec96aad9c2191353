using System.Globalization;
using System.Text.Json;
using DapperTenants.Cli.Audit;
using DapperTenants.Tests.Signed;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Cli;

/// <summary>DT070: which protected tables still take the tenant from the raw setting instead of the signed context's verifier.</summary>
public sealed class SignedAuditTests
{
    private static readonly DateOnly Today = new(2026, 11, 28);

    [Test]
    [Category(Categories.Unit)]
    public void Without_the_signed_context_one_info_finding_lists_the_tables_that_trust_the_raw_setting()
    {
        var findings = Evaluate(signedInstalled: false, Raw(1), Raw(2), Raw(3, permissive: false), Verified(4));

        findings.Select(f => (f.Code, f.Severity, f.Object)).ShouldBe([("DT070", Severity.Info, "db")]);
        findings[0].Title.ShouldBe("2 protected tables take the tenant from the raw setting: public.t1, public.t2.");
        findings[0].Fix.ShouldBe("Install the signed context: 'dapper-tenants apply --signing-key-file <key>' (PolicyInstaller.UseSignedContext), "
            + "and give the application the same key in TenantOptions.SigningKey.");
    }

    [Test]
    [Category(Categories.Unit)]
    public void The_info_finding_names_ten_tables_and_counts_the_rest()
    {
        var findings = Evaluate(false, [.. Enumerable.Range(1, 12).Select(i => Raw(i))]);

        findings.ShouldHaveSingleItem().Title.ShouldEndWith(": public.t1, public.t10, public.t11, public.t12, public.t2, public.t3, public.t4, public.t5, public.t6, public.t7 and 2 more.");
    }

    [Test]
    [Category(Categories.Unit)]
    public void With_the_signed_context_installed_each_table_that_trusts_the_raw_setting_is_an_error()
    {
        var findings = Evaluate(signedInstalled: true, Raw(1), Verified(2), Raw(3, permissive: false));

        findings.Select(f => (f.Code, f.Severity, f.Object)).ShouldBe([("DT070", Severity.Error, "public.t1")]);
        findings[0].Title.ShouldBe("The policy p1 on public.t1 takes the tenant from the raw setting, although the signed context is installed.");
    }

    [Test]
    [Category(Categories.Unit)]
    public void Tables_whose_policies_all_call_the_verifier_have_no_finding()
    {
        Evaluate(true, Verified(1), Verified(2)).ShouldBeEmpty();
        Evaluate(false, Verified(1)).ShouldBeEmpty();
    }

    [Test]
    [Category(Categories.Database)]
    public async Task The_audit_reads_from_the_catalog_where_each_table_takes_its_tenant_from()
    {
        await using var signed = await SignedDatabase.CreateAsync("audit_signed");
        await using var unsigned = await SignedDatabase.CreateAsync("audit_unsigned", useSignedContext: false);

        var clean = await AuditAsync(signed);
        await new PolicyInstaller(signed.Owner).Add<SignedDoc>().ApplyAsync();
        var mixed = await AuditAsync(signed);
        var none = await AuditAsync(unsigned);

        clean.ShouldBeEmpty();
        mixed.ShouldBe([("DT070", "error", "public.signed_docs")]);
        none.ShouldBe([("DT070", "info", unsigned.Database.Name)]);
    }

    private static async Task<List<(string Code, string Severity, string Object)>> AuditAsync(SignedDatabase db)
    {
        var run = await CliRun.RunAsync("audit", "--connection", db.Database.OwnerConnectionString, "--app-role", db.AppRole, "--json", "--ignore", "DT060,DT061");
        using var document = JsonDocument.Parse(run.Out);
        return [.. document.RootElement.GetProperty("findings").EnumerateArray()
            .Select(f => (f.GetProperty("code").GetString()!, f.GetProperty("severity").GetString()!, f.GetProperty("object").GetString()!))];
    }

    private static List<Finding> Evaluate(bool signedInstalled, params PolicyInfo[] policies)
    {
        var tables = policies.Select(p => p.TableOid).Distinct()
            .Select(oid => new TenantTable(oid, "public.t" + oid.ToString(CultureInfo.InvariantCulture), false, null, true, true, "owner", false, "tenant", 1, 1, true))
            .ToList();
        var snapshot = new AuditSnapshot("db", 150010, "15.10", ["tenant"], tables, policies, [], [], [], new AppRoleInfo("app", "app", true, false, false, []),
            signedInstalled);
        return [.. AuditRules.Evaluate(snapshot, Today).Where(f => f.Code == FindingCodes.RawTenantSetting)];
    }

    private static PolicyInfo Raw(long table, bool permissive = true) => new(
        table, "p" + table.ToString(CultureInfo.InvariantCulture), permissive, "(tenant = current_setting('dapper_tenants.tenant'::text, true))", "",
        ["PUBLIC"], true, false, [1], ReadsRawSetting: true);

    private static PolicyInfo Verified(long table) => new(
        table, "p" + table.ToString(CultureInfo.InvariantCulture), true, "(tenant = ( SELECT dapper_tenants.tenant_of('dapper_tenants.tenant'::text) AS tenant_of))", "",
        ["PUBLIC"], true, false, [1], CallsVerifier: true);
}
