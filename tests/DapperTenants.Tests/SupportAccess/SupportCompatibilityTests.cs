using DapperTenants.Testing;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.SupportAccess;

/// <summary>
/// Support access next to the rest of the library: the schema verifier and the audit still pass the app's isolation,
/// and the first statement of a session may be any of the executions Dapper makes, sync or async.
/// </summary>
[Category(Categories.Database)]
public class SupportCompatibilityTests
{
    private SupportDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await SupportDatabase.CreateAsync("support_compat");

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    [Test]
    public async Task The_schema_verifier_still_proves_the_apps_isolation_with_the_support_policies_installed()
    {
        await using var app = _db.Orders.Database.CreateAppDataSource();
        var report = await new TenantSchemaVerifier(_db.Owner, app).Add<SupportOrder>().VerifyAsync();
        report.Passed.ShouldBeTrue(report.ToString());
    }

    [Test]
    public async Task The_audit_of_the_app_login_judges_no_support_policy()
    {
        var report = await new TenantAudit(_db.Owner, new TenantAuditOptions { AppRole = _db.AppRole }).RunAsync();
        report.Findings.Where(f => f.Code is "DT004" or "DT005" or "DT006" or "DT008" or "DT009" or AuditCodes.AppRoleCanUseSupport)
            .Select(f => f.Code + " " + f.Target).ShouldBeEmpty();
    }

    [Test]
    public async Task The_audit_runs_as_a_login_without_usage_on_the_support_schema()
    {
        await using var app = _db.Orders.Database.CreateAppDataSource();
        var report = await new TenantAudit(app, new TenantAuditOptions { AppRole = _db.AppRole }).RunAsync();
        report.Findings.ShouldNotContain(f => f.Code == AuditCodes.AppRoleCanUseSupport);
    }

    [Test]
    public async Task Inside_a_transaction_scope_the_uncommitted_log_row_admits_nothing()
    {
        using (var scope = new System.Transactions.TransactionScope(System.Transactions.TransactionScopeAsyncFlowOption.Enabled))
        {
            await using var connection = await _db.CreateSupport().OpenAsync("ambient", "in a scope", SupportScope.Of(OrdersDatabase.Acme));
            (await connection.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(0);
        }

        (await _db.LogAsync()).ShouldNotContain(e => e.Actor == "ambient");
    }

    [Test]
    public void A_synchronous_write_as_the_first_statement_is_logged_and_counted()
    {
        using var connection = _db.CreateSupport().Open("sync-writer", "fix note", SupportScope.Of(OrdersDatabase.Initech), allowWrites: true);
        connection.Execute("update orders set note = @note where id = 201", new { note = "fixed" }).ShouldBe(1);
        connection.LogId.ShouldNotBeNull();
        connection.Execute("update orders set note = 'i1' where id = 201").ShouldBe(1);
    }

    [Test]
    public async Task An_async_scalar_as_the_first_statement_is_logged()
    {
        await using var connection = await _db.CreateSupport().OpenAsync("scalar", "count", SupportScope.Of(OrdersDatabase.Globex));
        (await connection.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(3);
        connection.LogId.ShouldNotBeNull();
    }

    [Test]
    public async Task Closing_and_reopening_starts_a_new_logged_session()
    {
        await using var connection = await _db.CreateSupport().OpenAsync("reopen", "two sessions", SupportScope.Of(OrdersDatabase.Acme));
        (await connection.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(5);
        var first = connection.LogId;
        await connection.CloseAsync();
        connection.LogId.ShouldBeNull();
        await connection.OpenAsync();
        (await connection.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(5);
        connection.LogId.ShouldNotBe(first);
        (await _db.LogAsync()).Count(e => e.Actor == "reopen").ShouldBe(2);
    }

    [Test]
    public void A_scope_needs_a_tenant_and_an_open_needs_an_actor_and_a_reason()
    {
        Should.Throw<ArgumentException>(() => SupportScope.Of()).Message.ShouldBe(
            "A support scope needs at least one tenant. Name the tenants the task needs, or use SupportScope.AllTenants explicitly. (Parameter 'tenants')");
        var support = _db.CreateSupport();
        Should.Throw<ArgumentException>(() => support.Open(" ", "why", SupportScope.AllTenants)).Message.ShouldBe(
            "The actor must be 1 to 256 characters, not only whitespace, without NUL: name the operator who opens the session. (Parameter 'actor')");
        Should.Throw<ArgumentException>(() => support.Open("who", "", SupportScope.AllTenants)).Message.ShouldBe(
            "The reason must be 1 to 4096 characters, not only whitespace, without NUL: say why the session is needed (a ticket, a task). (Parameter 'reason')");
        SupportScope.Of("acme", "acme", "globex").ToString().ShouldBe("acme, globex");
        SupportScope.AllTenants.ToString().ShouldBe("all tenants");
    }
}
