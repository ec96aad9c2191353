using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Audit;

/// <summary>
/// The audit follows the app login's role graph: a chain of grants to a BYPASSRLS role (NOINHERIT on the way), CREATEROLE,
/// TRIGGER on a protected table; and it checks the login even where no table has a tenant column.
/// </summary>
[Category(Categories.Database)]
public sealed class RoleGraphAuditTests
{
    private TestDatabase _db = null!;
    private string _group = null!;
    private string _bypass = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await TestServer.CreateDatabaseAsync("audit_roles");
        (_group, _bypass) = (_db.Name + "_group", _db.Name + "_bypass");
        await _db.ExecuteAsOwnerAsync(AuditTestSql.Protected("orders"));
        await _db.ExecuteAsAdminAsync($"""
            create role "{_group}" nologin noinherit;
            create role "{_bypass}" nologin bypassrls;
            grant "{_bypass}" to "{_group}";
            grant "{_group}" to "{_db.AppRole}";
            grant select on orders to "{_bypass}";
            grant trigger on orders to "{_db.AppRole}";
            insert into orders values ('acme', 1), ('globex', 2);
            """);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await _db.ExecuteAsAdminAsync($"""
            revoke "{_group}" from "{_db.AppRole}"; drop owned by "{_bypass}"; drop role "{_bypass}"; drop role "{_group}";
            """);
        await _db.DisposeAsync();
    }

    [Test]
    public async Task A_chain_of_grants_to_a_bypassrls_role_and_a_trigger_grant_are_errors_naming_the_chain()
    {
        var report = await new TenantAudit(_db.CreateOwnerDataSource(), new TenantAuditOptions
        {
            AppRole = _db.AppRole,
            IgnoredCodes = ["DT060", "DT061", "DT070", "DT080", "DT081"],
        }).RunAsync();

        report.Findings.Select(f => (f.Code, AuditReport.SeverityName(f.Severity), f.Target)).ShouldBe(
        [
            ("DT017", "error", _db.AppRole),
            ("DT019", "error", "public.orders"),
        ], string.Join(Environment.NewLine, report.Findings));
        report.Findings[0].Title.ShouldBe($"The app role {_db.AppRole} can SET ROLE to {_bypass}, which is BYPASSRLS: {_db.AppRole} → {_group} → {_bypass}.");
    }

    [Test]
    public async Task The_control_the_app_role_reads_another_tenants_row_through_the_chain_despite_noinherit()
    {
        await using var connection = new NpgsqlConnection(_db.AppConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await new NpgsqlCommand("select set_config('dapper_tenants.tenant', 'acme', true)", connection, transaction).ExecuteScalarAsync();
        (await new NpgsqlCommand("select count(*) from orders where tenant = 'globex'", connection, transaction).ExecuteScalarAsync()).ShouldBe(0L);
        await new NpgsqlCommand($"set local role \"{_bypass}\"", connection, transaction).ExecuteNonQueryAsync();
        (await new NpgsqlCommand("select count(*) from orders where tenant = 'globex'", connection, transaction).ExecuteScalarAsync()).ShouldBe(1L);
        await transaction.RollbackAsync();
    }

    [Test]
    public async Task A_superuser_app_role_is_reported_when_no_table_has_a_tenant_column()
    {
        await using var empty = await TestServer.CreateDatabaseAsync("audit_roles_empty");
        var superuser = new NpgsqlConnectionStringBuilder(empty.AdminConnectionString).Username!;
        var report = await new TenantAudit(empty.CreateOwnerDataSource(), new TenantAuditOptions
        {
            AppRole = superuser,
            IgnoredCodes = ["DT060", "DT061"],
        }).RunAsync();

        report.Findings.Select(f => (f.Code, f.Target)).ShouldBe([("DT000", empty.Name), ("DT010", superuser)]);
        report.HasErrors.ShouldBeTrue();
    }
}
