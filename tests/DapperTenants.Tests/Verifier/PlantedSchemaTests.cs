using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Verifier;

/// <summary>The verifier on planted broken schemas: each defect reported exactly, with its code and message.</summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync)]
[TestFixture(SyncOrAsync.Async)]
public class PlantedSchemaTests(SyncOrAsync mode)
{
    private TestDatabase _database = null!;
    private NpgsqlDataSource _owner = null!;
    private NpgsqlDataSource _app = null!;
    private SchemaVerificationReport _report = null!;
    private Dictionary<string, long> _before = null!;

    [OneTimeSetUp]
    public async Task VerifyThePlantedSchemas()
    {
        _database = await TestServer.CreateDatabaseAsync("verifier_planted");
        await PlantedSchemas.CreateAsync(_database);
        _owner = _database.CreateOwnerDataSource();
        _app = _database.CreateAppDataSource();
        _before = await CountRowsAsync();
        var verifier = Verifier();
        _report = mode == SyncOrAsync.Async ? await verifier.VerifyAsync() : verifier.Verify();
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await _app.DisposeAsync();
        await _owner.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Test]
    public void The_correct_table_is_verified_and_each_broken_one_fails_or_is_not_verified()
    {
        _report.Passed.ShouldBeFalse();
        _report.AppLogin.ShouldBe(_database.AppRole);
        _report.Tables.Select(t => (t.Name, t.Status)).ShouldBe([
            ("public.correct", TableVerificationStatus.Verified),
            ("public.no_force", TableVerificationStatus.Failed),
            ("public.widened", TableVerificationStatus.Failed),
            ("public.no_default", TableVerificationStatus.Failed),
            ("public.no_policy", TableVerificationStatus.Failed),
            ("public.plain", TableVerificationStatus.Failed),
            ("public.wrong_column", TableVerificationStatus.Failed),
            ("public.unseedable", TableVerificationStatus.NotVerified),
            ("public.no_nullif", TableVerificationStatus.Failed),
        ]);
        _report.Findings.ShouldBe(_report.Tables.SelectMany(t => t.Findings));
    }

    [Test]
    public void Rls_not_forced_is_DT002_and_nothing_else()
    {
        Findings("public.no_force").ShouldBe([("DT002", "public.no_force", "Row-Level Security is enabled but not forced.")]);
    }

    [Test]
    public void A_widening_second_policy_is_DT004_and_every_probe_shows_the_leak()
    {
        Findings("public.widened").ShouldBe([
            ("DT004", "wide ON public.widened", "The permissive policy wide on public.widened has USING (true) for PUBLIC."),
            ("DT110", "public.widened", "As tenant B, a query of public.widened returns 3 rows of other tenants (tenant A's row among them)."),
            ("DT111", "public.widened", "As tenant B, an INSERT into public.widened of a row whose tenant is tenant A succeeded."),
            ("DT112", "public.widened", "As tenant B, an UPDATE of tenant A's row in public.widened affected 1 row."),
            ("DT112", "public.widened", "As tenant B, an UPDATE in public.widened moved 1 row of tenant B to tenant A."),
            ("DT113", "public.widened", "As tenant B, a DELETE of tenant A's row in public.widened affected 1 row."),
            ("DT114", "public.widened", "As tenant B, an INSERT … ON CONFLICT (id) DO UPDATE on tenant A's key in public.widened took tenant A's row."),
            ("DT115", "public.widened", "With no tenant set, a query of public.widened returns 4 rows."),
        ]);
        _report.Tables.Single(t => t.Name == "public.widened").Findings.Where(f => f.Code != "DT004").ShouldAllBe(f => f.Severity == AuditSeverity.Error);
    }

    [Test]
    public void A_missing_default_is_DT103_and_nothing_else()
    {
        Findings("public.no_default").ShouldBe([("DT103", "public.no_default", "The tenant column tenant on public.no_default has no default.")]);
        _report.Tables.Single(t => t.Name == "public.no_default").Findings[0].Fix
            .ShouldBe("ALTER TABLE public.no_default ALTER COLUMN tenant SET DEFAULT NULLIF(current_setting('dapper_tenants.tenant', true), '')::text; ('dapper-tenants apply' sets it).");
    }

    [Test]
    public void A_table_with_rls_but_no_policy_is_DT003_and_not_verified_since_no_row_can_be_seeded()
    {
        Findings("public.no_policy").ShouldBe([
            ("DT003", "public.no_policy", "Row-Level Security is enabled but the table has no policy."),
            ("DT119", "public.no_policy", "The verifier could not seed a row of tenant A into public.no_policy: 42501: new row violates row-level security policy for table \"no_policy\""),
        ]);
    }

    [Test]
    public void A_table_without_rls_or_policy_is_DT001_DT103_DT104_and_every_probe_shows_the_leak()
    {
        Findings("public.plain").Select(f => f.Code).ShouldBe(["DT001", "DT103", "DT104", "DT110", "DT111", "DT112", "DT112", "DT113", "DT114", "DT115"]);
        Findings("public.plain")[2].Title.ShouldBe("No permissive policy on public.plain compares tenant with the tenant setting 'dapper_tenants.tenant'.");
        Findings("public.plain")[9].Title.ShouldBe("With no tenant set, a query of public.plain returns 4 rows.");
    }

    [Test]
    public void A_policy_on_the_wrong_column_is_DT101_and_the_table_cannot_be_seeded()
    {
        Findings("public.wrong_column").ShouldBe([
            ("DT101", "public.wrong_column", "The tenant policy on public.wrong_column compares customer, not the tenant column tenant of DapperTenants.Tests.Verifier.PlantedSchemas.WrongColumn.Tenant."),
            ("DT119", "public.wrong_column", "The verifier could not seed a row of tenant A into public.wrong_column: 42501: new row violates row-level security policy for table \"wrong_column\""),
        ]);
    }

    [Test]
    public void A_table_whose_constraints_cannot_be_met_is_not_verified_never_passed()
    {
        Findings("public.unseedable").ShouldBe([
            ("DT119", "public.unseedable", "The verifier could not seed a row of tenant A into public.unseedable: 23503: insert or update on table \"unseedable\" violates foreign key constraint \"unseedable_customer_id_fkey\""),
        ]);
        _report.Tables.Single(t => t.Name == "public.unseedable").Findings[0].Fix
            .ShouldBe("Relax the constraint for a test database, or verify the table with PolicyTransaction and rows your test seeds itself.");
    }

    [Test]
    public void A_policy_reading_the_setting_without_nullif_is_DT102()
    {
        Findings("public.no_nullif").ShouldBe([
            ("DT102", "isolation ON public.no_nullif", "The policy isolation on public.no_nullif reads current_setting('dapper_tenants.tenant') without NULLIF."),
        ]);
    }

    [Test]
    public async Task The_verifier_leaves_no_row_behind()
    {
        (await CountRowsAsync()).ShouldBe(_before);
        _before.Values.ShouldAllBe(count => count == 2);
    }

    [Test]
    public async Task The_throwing_call_lists_every_failure_in_one_exception()
    {
        var verifier = Verifier();
        var ex = mode == SyncOrAsync.Async
            ? await Should.ThrowAsync<SchemaVerificationException>(() => verifier.AssertVerifiedAsync())
            : Should.Throw<SchemaVerificationException>(() => verifier.AssertVerified());
        ex.Report.ShouldNotBeNull();
        var findings = ex.Report.Findings;
        findings.Count.ShouldBe(26);
        ex.Message.ShouldStartWith($"Tenant schema verification as {_database.AppRole}: 1 of 9 table(s) verified, 26 findings.\n- DT002 warning public.no_force: Row-Level Security is enabled but not forced.\n  Fix: ALTER TABLE public.no_force FORCE ROW LEVEL SECURITY;\n- DT004 error wide ON public.widened:");
        foreach (var finding in findings)
        {
            ex.Message.ShouldContain("\n- " + finding + "\n  Fix: " + finding.Fix);
        }
    }

    private List<(string Code, string Target, string Title)> Findings(string table) =>
        [.. _report.Tables.Single(t => t.Name == table).Findings.Select(f => (f.Code, f.Target, f.Title))];

    private TenantSchemaVerifier Verifier()
    {
        var verifier = new TenantSchemaVerifier(_owner, _app);
        foreach (var type in PlantedSchemas.Types)
        {
            verifier.Add(type);
        }

        return verifier;
    }

    private async Task<Dictionary<string, long>> CountRowsAsync()
    {
        await using var admin = NpgsqlDataSource.Create(_database.AdminConnectionString);
        var counts = new Dictionary<string, long>();
        foreach (var table in PlantedSchemas.Tables)
        {
            await using var command = admin.CreateCommand($"select count(*) from {table}");
            counts[table] = (long)(await command.ExecuteScalarAsync())!;
        }

        return counts;
    }
}
