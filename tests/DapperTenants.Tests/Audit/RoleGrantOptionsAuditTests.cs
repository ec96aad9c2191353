using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Audit;

/// <summary>
/// PostgreSQL 16 gave each role grant its own SET and INHERIT options: a membership WITH SET FALSE, INHERIT FALSE is no
/// path; WITH INHERIT TRUE the member uses the role's rights without SET ROLE; SET ROLE then INHERIT chains. On 15 every
/// membership is a path (SET ROLE works whatever INHERIT says). The same schema on either server: on 15 its grants are
/// plain, on 16+ they carry the options, and each test asserts what that server does.
/// </summary>
[Category(Categories.Database)]
public sealed class RoleGrantOptionsAuditTests
{
    private static readonly string[] Ignored = ["DT060", "DT061", "DT070", "DT080", "DT081", "DT082"];

    private TestDatabase _db = null!;
    private bool _options;
    private string[] _roles = null!;

    private string BypassNone => _db.Name + "_bypass_none";

    private string BypassSet => _db.Name + "_bypass_set";

    private string Middle => _db.Name + "_middle";

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await TestServer.CreateDatabaseAsync("audit_grant_options");
        await using (var admin = new NpgsqlConnection(_db.AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var version = new NpgsqlCommand("select current_setting('server_version_num')::int", admin);
            _options = (int)(await version.ExecuteScalarAsync())! >= 160000;
        }

        _roles = [BypassNone, BypassSet, Owner("inherit"), Owner("none"), Owner("chain"), Middle];
        var app = $"\"{_db.AppRole}\"";
        string Grant(string role, string to, string options) => $"grant \"{role}\" to \"{to}\"{(_options ? " with " + options : string.Empty)};";
        var sql = string.Join(Environment.NewLine,
            $"create role \"{BypassNone}\" nologin bypassrls;",
            $"create role \"{BypassSet}\" nologin bypassrls;",
            $"create role \"{Owner("inherit")}\" nologin; create role \"{Owner("none")}\" nologin; create role \"{Owner("chain")}\" nologin;",
            $"create role \"{Middle}\" nologin;",
            Grant(BypassNone, _db.AppRole, "set false, inherit false"),
            Grant(BypassSet, _db.AppRole, "set true, inherit false"),
            Grant(Owner("inherit"), _db.AppRole, "set false, inherit true"),
            Grant(Owner("none"), _db.AppRole, "set false, inherit false"),
            Grant(Middle, _db.AppRole, "set true, inherit false"),
            Grant(Owner("chain"), Middle, "set false, inherit true"),
            AuditTestSql.Protected("by_bypass"),
            $"grant select on by_bypass to \"{BypassNone}\", \"{BypassSet}\", {app};",
            string.Concat(new[] { "inherit", "none", "chain" }.Select(t => AuditTestSql.Protected("t_" + t) + $"alter table t_{t} owner to \"{Owner(t)}\"; grant select on t_{t} to {app};\n")),
            "insert into by_bypass values ('acme', 1), ('globex', 2);",
            "insert into t_inherit values ('acme', 1), ('globex', 2); insert into t_none values ('acme', 1), ('globex', 2); insert into t_chain values ('acme', 1), ('globex', 2);");
        await _db.ExecuteAsAdminAsync(sql);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await _db.ExecuteAsAdminAsync(string.Concat(_roles.Select(r => $"drop owned by \"{r}\"; ")) + string.Concat(_roles.Reverse().Select(r => $"drop role \"{r}\"; ")));
        await _db.DisposeAsync();
    }

    [Test]
    public async Task On_16_and_later_only_grants_with_set_or_inherit_are_paths_and_on_15_every_membership_is()
    {
        var report = await new TenantAudit(_db.CreateOwnerDataSource(), new TenantAuditOptions { AppRole = _db.AppRole, IgnoredCodes = Ignored }).RunAsync();

        var findings = report.Findings.Select(f => (f.Code, f.Target, f.Title)).ToList();
        var app = _db.AppRole;
        List<(string Code, string Target, string Title)> expected = _options
            ?
            [
                ("DT012", "public.t_chain", $"The app role {app} owns public.t_chain (its owner is {Owner("chain")}), or is a member of the owner through {app} → {Middle} → {Owner("chain")}."),
                ("DT012", "public.t_inherit", $"The app role {app} owns public.t_inherit (its owner is {Owner("inherit")}), or is a member of the owner through {app} → {Owner("inherit")}."),
                ("DT017", app, $"The app role {app} can SET ROLE to {BypassSet}, which is BYPASSRLS: {app} → {BypassSet}."),
            ]
            :
            [
                ("DT012", "public.t_chain", $"The app role {app} owns public.t_chain (its owner is {Owner("chain")}), or is a member of the owner through {app} → {Middle} → {Owner("chain")}."),
                ("DT012", "public.t_inherit", $"The app role {app} owns public.t_inherit (its owner is {Owner("inherit")}), or is a member of the owner through {app} → {Owner("inherit")}."),
                ("DT012", "public.t_none", $"The app role {app} owns public.t_none (its owner is {Owner("none")}), or is a member of the owner through {app} → {Owner("none")}."),
                ("DT017", app, $"The app role {app} can SET ROLE to {BypassNone}, which is BYPASSRLS: {app} → {BypassNone}."),
                ("DT017", app, $"The app role {app} can SET ROLE to {BypassSet}, which is BYPASSRLS: {app} → {BypassSet}."),
            ];
        findings.OrderBy(f => f.Code, StringComparer.Ordinal).ThenBy(f => f.Title, StringComparer.Ordinal).ToList()
            .ShouldBe(expected, string.Join(Environment.NewLine, report.Findings));
    }

    [Test]
    public async Task What_the_app_role_of_tenant_acme_can_reach_is_what_the_audit_reports()
    {
        // SET ROLE then read as a BYPASSRLS role: possible WITH SET TRUE (and on 15 always), refused WITH SET FALSE on 16+.
        (await GlobexRowsAsync($"set local role \"{BypassSet}\"", "by_bypass")).ShouldBe(1L);
        (await GlobexRowsAsync($"set local role \"{BypassNone}\"", "by_bypass")).ShouldBe(_options ? null : 1L);

        // Acting as a table's owner: disable Row-Level Security, then read. On 16+ INHERIT TRUE needs no SET ROLE; on 15
        // the NOINHERIT app login SET ROLEs.
        (await GlobexRowsAsync((_options ? string.Empty : $"set local role \"{Owner("inherit")}\"; ") + "alter table t_inherit disable row level security", "t_inherit")).ShouldBe(1L);
        (await GlobexRowsAsync(_options ? "alter table t_none disable row level security" : $"set local role \"{Owner("none")}\"; alter table t_none disable row level security", "t_none"))
            .ShouldBe(_options ? null : 1L);
        (await GlobexRowsAsync($"set local role \"{Middle}\"; alter table t_chain disable row level security", "t_chain")).ShouldBe(1L);
        (await GlobexRowsAsync("select 1", "by_bypass")).ShouldBe(0L, "the control: without a path the policy hides globex's row");
    }

    private string Owner(string table) => $"{_db.Name}_owner_{table}";

    /// <summary>Globex's rows in <paramref name="table"/> after <paramref name="step"/>, as the app role of tenant acme; null when PostgreSQL refuses the step.</summary>
    private async Task<long?> GlobexRowsAsync(string step, string table)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_db.AppConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var set = new NpgsqlCommand("select set_config('dapper_tenants.tenant', 'acme', true)", connection, transaction))
        {
            await set.ExecuteScalarAsync();
        }

        try
        {
            await using (var command = new NpgsqlCommand(step, connection, transaction))
            {
                await command.ExecuteNonQueryAsync();
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            return null;
        }

        await using var count = new NpgsqlCommand($"select count(*) from {table} where tenant = 'globex'", connection, transaction);
        var rows = (long)(await count.ExecuteScalarAsync())!;
        await transaction.RollbackAsync();
        return rows;
    }
}
