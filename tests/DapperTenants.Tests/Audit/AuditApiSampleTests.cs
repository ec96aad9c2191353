using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Audit;

/// <summary>The audit's library API as docs/cli.md shows it, compiled and run.</summary>
[Category(Categories.Database)]
public sealed class AuditApiSampleTests
{
    [Test]
    public async Task The_audit_api_sample_reports_a_table_without_row_level_security_as_an_error()
    {
        await using var database = await TestServer.CreateDatabaseAsync("audit_api");
        await database.ExecuteAsOwnerAsync("create table orders (tenant text not null, id int not null, primary key (tenant, id));");
        await using var owner = database.CreateOwnerDataSource();

        var error = await Should.ThrowAsync<InvalidOperationException>(() => AuditAsync(owner));

        error.Message.ShouldStartWith("Tenant isolation is broken: Audit of ");
        Console.ToString().ShouldContain("DT001 error public.orders: Row-Level Security is disabled on a table with the tenant column tenant.");
    }

    /// <summary>What the sample prints, in place of the process's console.</summary>
    private StringWriter Console { get; } = new();

    [OneTimeTearDown]
    public void DisposeConsole() => Console.Dispose();

    private async Task AuditAsync(NpgsqlDataSource ownerDataSource)
    {
        // README sample audit-api: AuditAsync
        var audit = new TenantAudit(ownerDataSource, new TenantAuditOptions { AppRole = "app_login", IgnoredCodes = ["DT060", "DT061"] });
        AuditReport report = await audit.RunAsync();
        foreach (var finding in report.Findings)
        {
            Console.WriteLine($"{finding.Code} {AuditReport.SeverityName(finding.Severity)} {finding.Target}: {finding.Title}");
        }

        if (report.HasErrors)
        {
            throw new InvalidOperationException($"Tenant isolation is broken: {report}");
        }

        // README sample end
    }
}
