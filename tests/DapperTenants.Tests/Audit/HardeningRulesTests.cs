using DapperTenants.Audit;
using DapperTenants.Tests.Support;
using static DapperTenants.Tests.Audit.AuditFixtures;

namespace DapperTenants.Tests.Audit;

/// <summary>DT080, DT081, DT082 and DT090 on hand-made catalog models: planted and clean.</summary>
[Category(Categories.Unit)]
public class HardeningRulesTests
{
    [Test]
    public void A_login_that_may_create_temporary_objects_is_a_warning_with_the_revokes()
    {
        var finding = AuditRules.Evaluate(Input([Table(1, "orders")], App(temp: true))).ShouldHaveSingleItem();

        (finding.Code, finding.Severity, finding.Target).ShouldBe(("DT080", AuditSeverity.Warning, "app"));
        finding.Title.ShouldBe("The app role app may create temporary objects in the database db.");
        finding.Fix.ShouldStartWith("REVOKE TEMPORARY ON DATABASE db FROM PUBLIC; REVOKE TEMPORARY ON DATABASE db FROM app; then GRANT TEMPORARY");
    }

    [Test]
    public void A_login_that_may_run_sql_executing_built_ins_is_a_warning_that_says_a_superuser_must_revoke_them()
    {
        var finding = AuditRules.Evaluate(Input([Table(1, "orders")], App(builtIns: ["pg_catalog.ts_stat(text)", "pg_catalog.ts_stat(text, text)"])))
            .ShouldHaveSingleItem();

        (finding.Code, finding.Severity).ShouldBe(("DT081", AuditSeverity.Warning));
        finding.Title.ShouldBe("The app role app may execute built-in functions that run a query given as text: ts_stat.");
        finding.Fix.ShouldStartWith("As a superuser (the functions belong to the bootstrap superuser; a REVOKE by anyone else changes nothing): "
            + "REVOKE EXECUTE ON FUNCTION pg_catalog.ts_stat(text) FROM PUBLIC; REVOKE EXECUTE ON FUNCTION pg_catalog.ts_stat(text, text) FROM PUBLIC;");
    }

    [TestCase("\"$user\", public", new[] { "public" }, false, false, "public")]
    [TestCase("\"$user\", public", new[] { "reports" }, false, false, "")]
    [TestCase("app_data, \"Mixed Case\"", new[] { "Mixed Case" }, false, false, "\"Mixed Case\"")]
    [TestCase("\"$user\", public", new string[0], true, false, "app")]
    [TestCase("\"$user\", public", new string[0], true, true, "")]
    [TestCase("pg_temp, public", new[] { "pg_temp" }, false, false, "")]
    public void Create_on_a_schema_of_the_search_path_is_an_error(string searchPath, string[] creatable, bool createSchema, bool ownSchemaExists, string expected)
    {
        var findings = Evaluate(Input([Table(1, "orders")], App(searchPath: searchPath, creatable: creatable, createSchema: createSchema, ownSchema: ownSchemaExists)));

        findings.Select(f => f.Target).ShouldBe(expected.Length == 0 ? [] : [expected]);
        findings.ShouldAllBe(f => f.Code == "DT082" && f.Severity == AuditSeverity.Error);
    }

    [Test]
    public void Search_path_entries_are_unquoted()
    {
        AuditRules.SearchPath(" \"$user\" ,public, \"a \"\"b\"\"\", ").ShouldBe(["$user", "public", "a \"b\""]);
    }

    [Test]
    public void A_superuser_is_reported_once_not_once_per_hardening_rule()
    {
        Evaluate(Input([Table(1, "orders")], App(superuser: true, temp: true, builtIns: ["pg_catalog.ts_stat(text)"], creatable: ["public"], searchPath: "public")))
            .ShouldBe([("DT010", AuditSeverity.Error, "app")]);
    }

    [TestCase(true, false, false, "")]
    [TestCase(true, true, false, "No Reset On Close=true")]
    [TestCase(true, false, true, "Multiplexing=true")]
    [TestCase(false, true, false, "")]
    public void A_pool_that_keeps_session_state_between_leases_is_a_warning(bool pooling, bool noReset, bool multiplexing, string keyword)
    {
        var findings = AuditRules.Evaluate(Input([Table(1, "orders")], pool: new PoolSettings(pooling, noReset, multiplexing)));

        if (keyword.Length == 0)
        {
            findings.ShouldBeEmpty();
            return;
        }

        var finding = findings.ShouldHaveSingleItem();
        (finding.Code, finding.Severity, finding.Target).ShouldBe(("DT090", AuditSeverity.Warning, "connection string"));
        finding.Title.ShouldBe($"The application's connection string sets {keyword}: a pooled session keeps its state from one lease to the next.");
    }

    [Test]
    public void Without_the_apps_connection_string_the_pool_is_not_judged()
    {
        Evaluate(Input([Table(1, "orders")])).ShouldBeEmpty();
    }
}
