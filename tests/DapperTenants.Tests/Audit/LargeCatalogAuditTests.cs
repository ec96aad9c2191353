using DapperTenants.Benchmarks.Infrastructure;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Audit;

/// <summary>
/// The audit on the auditscale benchmark's generated catalog, at 2,025 relations: every finding it must produce, and
/// nothing else, so a rewrite of the catalog queries for speed (the benchmark times it) cannot change what they find.
/// </summary>
[Category(Categories.Database)]
public class LargeCatalogAuditTests
{
    // 900 units: 900 tables, 900 views, 225 SECURITY DEFINER functions, 45 partitioned tables with 180 partitions (45 granted to PUBLIC).
    private const int Units = 900;

    // The server's age, the raw setting and the app login's hardening are covered elsewhere and vary with the machine.
    private static readonly string[] Ignored = ["DT060", "DT061", "DT070", "DT080", "DT081"];

    private TestDatabase _database = null!;

    [OneTimeSetUp]
    public async Task Generate()
    {
        _database = await TestServer.CreateDatabaseAsync("audit_large");
        await AuditScaleCatalog.CreateAsync(_database.OwnerConnectionString, Units);
    }

    [OneTimeTearDown]
    public async Task Drop() => await _database.DisposeAsync();

    [Test]
    public async Task The_generated_catalog_has_the_relations_it_claims()
    {
        await using var admin = NpgsqlDataSource.Create(_database.AdminConnectionString);
        await using var command = admin.CreateCommand("""
            select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'scale' and c.relkind in ('r', 'p', 'v')
            """);
        (await command.ExecuteScalarAsync()).ShouldBe(AuditScaleCatalog.Relations(Units));
        AuditScaleCatalog.Relations(Units).ShouldBe(2_025);
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task Every_generated_problem_is_found_once_and_nothing_else(bool async)
    {
        await using var owner = NpgsqlDataSource.Create(_database.OwnerConnectionString);
        var audit = new TenantAudit(owner, new TenantAuditOptions { AppRole = _database.AppRole, IgnoredCodes = Ignored });

        var report = async ? await audit.RunAsync() : audit.Run();

        var units = Enumerable.Range(1, Units).ToList();
        var unforced = units.Where(i => i % 10 == 0).ToList();
        var parents = units.Where(i => i % 20 == 0).ToList();
        var expected = new List<(string, AuditSeverity, string)>();
        expected.AddRange(unforced.Select(i => ("DT002", AuditSeverity.Warning, $"scale.t{i}")));
        expected.AddRange(units.Select(i => $"scale.t{i}").Concat(parents.Select(i => $"scale.p{i}")).Select(t => ("DT020", AuditSeverity.Warning, t)));
        expected.AddRange(units.Select(i => ("DT021", AuditSeverity.Warning, $"t{i}_pkey ON scale.t{i}")));
        expected.AddRange(unforced.Select(i => ("DT040", AuditSeverity.Error, $"scale.v{i}")));
        // Each function reads its own table: only those reading an unforced one (every 20th) are reported.
        expected.AddRange(units.Where(i => i % 20 == 0).Select(i => ("DT042", AuditSeverity.Warning, $"scale.f{i}()")));

        // Only the first partition of each is granted to anyone (PUBLIC).
        expected.AddRange(parents.Select(i => ("DT050", AuditSeverity.Error, $"scale.p{i}_1")));
        report.Findings.Select(f => (f.Code, f.Severity, f.Target)).Order().ShouldBe(expected.Order());
        report.Tables.Count.ShouldBe(Units + (parents.Count * 5));

        // Each function's owner owns all 90 unforced tables; the finding names the one the function reads.
        report.Findings.Single(f => f.Target == "scale.f20()").Title.ShouldBe(
            $"The SECURITY DEFINER function scale.f20() reads scale.t20 without the policies: its owner {_database.OwnerRole} owns it, and Row-Level Security is not forced.");
        report.Findings.Single(f => f.Target == "scale.p20_1").Title.ShouldBe(
            "Partition scale.p20_1 of the protected table scale.p20 has Row-Level Security disabled and is granted directly: SELECT to PUBLIC.");
        report.Findings.Single(f => f.Target == "scale.v10").Title.ShouldBe(
            $"The view scale.v10 reads scale.t10 without the policies: its owner {_database.OwnerRole} owns scale.t10, which does not FORCE row level security.");
    }
}
