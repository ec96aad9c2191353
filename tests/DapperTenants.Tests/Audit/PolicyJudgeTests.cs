using DapperTenants.Audit;
using DapperTenants.Catalog;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Audit;

/// <summary>The policy judge on expressions exactly as PostgreSQL 15's <c>pg_get_expr</c> prints them.</summary>
[Category(Categories.Unit)]
public class PolicyJudgeTests
{
    private static readonly ProtectedTable Text = Table("t", "tenant", "text");
    private static readonly ProtectedTable Integer = Table("t2", "tenant_id", "integer");

    [TestCase("(tenant = ( SELECT NULLIF(current_setting('dapper_tenants.tenant'::text, true), ''::text) AS \"nullif\"))")]
    [TestCase("((( SELECT NULLIF(current_setting('dapper_tenants.tenant'::text, true), ''::text) AS \"nullif\") = tenant) AND (id > 0))")]
    [TestCase("(tenant = ( SELECT dapper_tenants.tenant_of('dapper_tenants.tenant'::text) AS tenant_of))")]
    [TestCase("((tenant)::text = ( SELECT NULLIF(current_setting('dapper_tenants.tenant'::text, true), ''::text) AS \"nullif\"))")]
    public void Equality_with_a_setting_that_fails_closed_isolates(string expression) =>
        Judge(Text, expression).ShouldBe((PolicyVerdictKind.Isolates, ""));

    [TestCase("(tenant_id = (NULLIF(current_setting('app.tenant'::text, true), ''::text))::integer)")]
    [TestCase("(tenant_id = (current_setting('app.tenant'::text))::bigint)", Description = "'' cast to a number is an error: fails closed")]
    public void An_integer_tenant_compared_with_the_setting_isolates(string expression) =>
        Judge(Integer, expression).Kind.ShouldBe(PolicyVerdictKind.Isolates);

    [Test]
    public void Coalesce_around_the_setting_with_the_column_as_fallback_fails_open() =>
        Judge(Integer, "(tenant_id = COALESCE((current_setting('app.tenant'::text, true))::integer, tenant_id))").ShouldBe((PolicyVerdictKind.FailsOpen,
            "tenant_id = COALESCE((current_setting('app.tenant'::text, true))::integer, tenant_id): COALESCE around the setting: an unset setting compares the tenant column with itself and admits every tenant"));

    [Test]
    public void Is_not_null_fails_open() =>
        Judge(Integer, "(tenant_id IS NOT NULL)").ShouldBe((PolicyVerdictKind.FailsOpen, "tenant_id IS NOT NULL: every row that has a tenant, whichever it is"));

    [Test]
    public void The_logins_name_as_tenant_fails_open() =>
        Judge(Text, "(tenant = CURRENT_USER)").Kind.ShouldBe(PolicyVerdictKind.FailsOpen);

    [Test]
    public void An_or_branch_that_ignores_the_tenant_fails_open() =>
        Judge(Text, "((tenant = ( SELECT NULLIF(current_setting('x.y'::text, true), ''::text) AS \"nullif\")) OR (id > 0))")
            .ShouldBe((PolicyVerdictKind.FailsOpen, "an OR branch that does not read the tenant column (id > 0)"));

    [Test]
    public void The_raw_setting_on_a_text_column_makes_the_empty_string_a_tenant() =>
        Judge(Text, "(tenant = current_setting('dapper_tenants.tenant'::text, true))")
            .ShouldBe((PolicyVerdictKind.EmptySettingIsATenant, "tenant = current_setting('dapper_tenants.tenant'::text, true): current_setting without NULLIF"));

    [TestCase("false")]
    [TestCase("((tenant IS NULL) AND false)")]
    public void Constant_false_denies(string expression) => Judge(Text, expression).Kind.ShouldBe(PolicyVerdictKind.Denies);

    [Test]
    public void Shared_rows_or_own_rows_is_isolation_with_shared_rows() =>
        Judge(Text, "((tenant = ( SELECT NULLIF(current_setting('x.y'::text, true), ''::text) AS \"nullif\")) OR ((tenant IS NULL) AND (( SELECT NULLIF(current_setting('x.y'::text, true), ''::text) AS \"nullif\") IS NOT NULL)))")
            .Kind.ShouldBe(PolicyVerdictKind.IsolatesWithShared);

    [Test]
    public void A_using_that_reads_only_another_tables_tenant_column_ignores_the_tenant() =>
        Judge(Integer, "(EXISTS ( SELECT 1\n   FROM other o\n  WHERE (o.tenant_id = (current_setting('app.tenant'::text, true))::integer)))").Kind
            .ShouldBe(PolicyVerdictKind.IgnoresTenant);

    [TestCase("(EXISTS ( SELECT 1\n   FROM other o\n  WHERE ((o.tenant_id = t2.tenant_id) AND (o.user_id = CURRENT_USER))))", "EXISTS (sub-select)")]
    [TestCase("(tenant_id IN ( SELECT o.tenant_id\n   FROM other o\n  WHERE (o.user_id = SESSION_USER)))", "the operator IN")]
    [TestCase("(tenant_id = auth.tenant())", "auth.tenant()")]
    [TestCase("(tenant_id = (((current_setting('app.tenant'::text, true))::jsonb ->> 'id'::text))::integer)", "the operator ->>")]
    [TestCase("\nCASE\n    WHEN (tenant_id > 0) THEN true\n    ELSE false\nEND", "a CASE expression")]
    public void What_the_audit_cannot_prove_is_unproven_and_named(string expression, string shape)
    {
        var verdict = Judge(Integer, expression);
        verdict.Kind.ShouldBe(PolicyVerdictKind.Unproven);
        verdict.Shape.ShouldContain(shape);
    }

    [TestCase("app.visible(t2.*)", "a call of app.visible()")]
    [TestCase("(app.visible(t2.*) AND (id > 0))", "a call of app.visible()")]
    [TestCase("(EXISTS ( SELECT 1\n   FROM members m\n  WHERE app.member(m.*, t2.*)))", "EXISTS (sub-select)")]
    public void A_whole_row_reference_reads_the_tenant_column_so_a_function_of_it_is_unproven_not_ignoring_the_tenant(string expression, string shape)
    {
        var verdict = Judge(Integer, expression);
        verdict.Kind.ShouldBe(PolicyVerdictKind.Unproven);
        verdict.Shape.ShouldContain(shape);
    }

    [Test]
    public void A_whole_row_reference_to_another_table_in_a_sub_select_does_not_read_the_tenant_column() =>
        Judge(Integer, "(EXISTS ( SELECT 1\n   FROM members m\n  WHERE app.member(m.*)))").Kind.ShouldBe(PolicyVerdictKind.IgnoresTenant);

    [TestCase("(id > 0)")]
    [TestCase("(owner = CURRENT_USER)")]
    public void An_expression_without_the_tenant_column_ignores_it(string expression) =>
        Judge(Text, expression).Kind.ShouldBe(PolicyVerdictKind.IgnoresTenant);

    [TestCase("(tenant = ")]
    [TestCase("tenant = 'a' tenant")]
    public void Text_the_parser_cannot_read_whole_is_never_judged_safe(string expression) =>
        new PolicyJudge(Text).Judge(expression).IsSafe(sharedAllowed: true).ShouldBeFalse();

    private static (PolicyVerdictKind Kind, string Shape) Judge(ProtectedTable table, string expression)
    {
        var verdict = new PolicyJudge(table).Judge(expression);
        return (verdict.Kind, verdict.Shape);
    }

    private static ProtectedTable Table(string name, string column, string type) => new("public", name, column, type, [column, "id"])
    {
        ColumnFacts = [new TableColumn(column, 1, type, 25, true) { Quoted = column }, new TableColumn("id", 2, "integer", 23, true) { Quoted = "id" }],
    };
}
