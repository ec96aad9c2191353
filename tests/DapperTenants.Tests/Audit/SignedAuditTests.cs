using DapperTenants.Tests.Signed;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Audit;

/// <summary>DT070 from a live catalog: which protected tables still take the tenant from the raw setting.</summary>
public sealed class SignedAuditTests
{
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

    private static async Task<List<(string Code, string Severity, string Target)>> AuditAsync(SignedDatabase db)
    {
        var options = new TenantAuditOptions { AppRole = db.AppRole, IgnoredCodes = ["DT021", "DT060", "DT061", "DT080", "DT081"] };
        var report = await new TenantAudit(db.Owner, options).RunAsync();
        return [.. report.Findings.Select(f => (f.Code, AuditReport.SeverityName(f.Severity), f.Target))];
    }
}
