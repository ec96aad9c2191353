using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Audit;

/// <summary>
/// The audit judges what policies admit, not which names they mention: a schema of policies that fail open, one of safe
/// constructs, one of tables isolated by another scheme. Every fail-open finding is confirmed by a query as the app
/// role that sees another tenant's row, every safe construct by one that does not.
/// </summary>
[Category(Categories.Database)]
public sealed class PolicyMeaningAuditTests
{
    private const string Schema = """
        create schema fails_open;
        create schema safe;
        create schema other_scheme;

        create table fails_open.coalesce_rows (tenant_id int not null, id int not null, primary key (tenant_id, id));
        create policy coalesce_tenant on fails_open.coalesce_rows using (tenant_id = coalesce(current_setting('app.tenant', true)::int, tenant_id));

        create table fails_open.not_null_rows (tenant_id int not null, id int not null, primary key (tenant_id, id));
        create policy has_tenant on fails_open.not_null_rows using (tenant_id is not null);

        create table fails_open.insert_rows (tenant_id int not null, id int not null, primary key (tenant_id, id));
        create policy own_rows on fails_open.insert_rows for select using (tenant_id = (select nullif(current_setting('app.tenant', true), '')::int));
        create policy insert_any on fails_open.insert_rows for insert with check (tenant_id is not null);

        create table fails_open.login_rows (tenant text not null, id int not null, primary key (tenant, id));
        create policy by_login on fails_open.login_rows using (tenant = current_user);

        create table fails_open.empty_rows (tenant text not null default '', id int not null, primary key (tenant, id));
        create policy raw_setting on fails_open.empty_rows using (tenant = current_setting('app.tenant', true));

        create table fails_open.memberships (org int not null, id int not null primary key);
        create table fails_open.using_other (tenant_id int not null, id int not null, primary key (tenant_id, id));
        create policy via_other on fails_open.using_other
            using (exists (select 1 from fails_open.memberships m where m.org = (select nullif(current_setting('app.tenant', true), '')::int)))
            with check (tenant_id = (select nullif(current_setting('app.tenant', true), '')::int));

        create table safe.deny_rows (tenant_id int not null, id int not null, primary key (tenant_id, id));
        create policy own_rows on safe.deny_rows using (tenant_id = (select nullif(current_setting('app.tenant', true), '')::int));
        create policy deny_all on safe.deny_rows using (false) with check (false);

        create table safe.restrictive_rows (tenant_id int not null, id int not null, primary key (tenant_id, id));
        create policy open_all on safe.restrictive_rows using (true);
        create policy own_rows on safe.restrictive_rows as restrictive using (tenant_id = (select nullif(current_setting('app.tenant', true), '')::int));

        create table safe.restrictive_only (tenant_id int not null, id int not null, primary key (tenant_id, id));
        create policy own_rows on safe.restrictive_only as restrictive using (tenant_id = (select nullif(current_setting('app.tenant', true), '')::int));

        create table safe.text_rows (tenant text not null default '', id int not null, primary key (tenant, id));
        create policy own_rows on safe.text_rows using (tenant = (select nullif(current_setting('app.tenant', true), '')));

        create table other_scheme.profiles (user_name name not null primary key, body text not null);
        create policy own_profile on other_scheme.profiles using (user_name = current_user);
        """;

    private static readonly string[] Tables =
    [
        "fails_open.coalesce_rows", "fails_open.not_null_rows", "fails_open.insert_rows", "fails_open.login_rows", "fails_open.empty_rows",
        "fails_open.using_other", "safe.deny_rows", "safe.restrictive_rows", "safe.restrictive_only", "safe.text_rows", "other_scheme.profiles",
    ];

    private TestDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await TestServer.CreateDatabaseAsync("audit_meaning");
        await _db.ExecuteAsOwnerAsync(Schema + string.Concat(Tables.Select(t => $"alter table {t} enable row level security; alter table {t} force row level security;\n")));
        var app = $"\"{_db.AppRole}\"";
        await _db.ExecuteAsAdminAsync($"""
            grant usage on schema fails_open, safe, other_scheme to {app};
            grant select, insert, update, delete on all tables in schema fails_open, safe, other_scheme to {app};
            insert into fails_open.coalesce_rows values (1, 1), (2, 2);
            insert into fails_open.not_null_rows values (1, 1), (2, 2);
            insert into fails_open.insert_rows values (1, 1), (2, 2);
            insert into fails_open.login_rows values ('{_db.AppRole}', 1), ('globex', 2);
            insert into fails_open.empty_rows (tenant, id) values ('acme', 1);
            insert into fails_open.empty_rows (id) values (2);
            insert into fails_open.memberships values (1, 1);
            insert into fails_open.using_other values (1, 1), (2, 2);
            insert into safe.deny_rows values (1, 1), (2, 2);
            insert into safe.restrictive_rows values (1, 1), (2, 2);
            insert into safe.restrictive_only values (1, 1), (2, 2);
            insert into safe.text_rows (tenant, id) values ('acme', 1);
            insert into safe.text_rows (id) values (2);
            insert into other_scheme.profiles values ('someone_else', 'secret');
            """);
    }

    [OneTimeTearDown]
    public Task DropDatabase() => _db.DisposeAsync().AsTask();

    [Test]
    public async Task Each_policy_that_fails_open_is_found_with_its_code_and_severity_and_each_safe_construct_is_silent()
    {
        var report = await new TenantAudit(_db.CreateOwnerDataSource(), new TenantAuditOptions
        {
            AppRole = _db.AppRole,
            IgnoredCodes = ["DT060", "DT061", "DT070", "DT080", "DT081"],
        }).RunAsync();

        report.Findings.Select(f => (f.Code, AuditReport.SeverityName(f.Severity), f.Target)).ShouldBe(
        [
            ("DT005", "error", "via_other ON fails_open.using_other"),
            ("DT006", "error", "by_login ON fails_open.login_rows"),
            ("DT006", "error", "coalesce_tenant ON fails_open.coalesce_rows"),
            ("DT006", "error", "has_tenant ON fails_open.not_null_rows"),
            ("DT006", "error", "insert_any ON fails_open.insert_rows"),
            ("DT007", "error", "raw_setting ON fails_open.empty_rows"),
            ("DT009", "warning", "safe.restrictive_only"),
            ("DT099", "info", "other_scheme.profiles"),
        ], string.Join(Environment.NewLine, report.Findings));
        report.Findings.Single(f => f.Target.StartsWith("coalesce_tenant", StringComparison.Ordinal)).Title.ShouldBe(
            "The policy coalesce_tenant on fails_open.coalesce_rows names tenant_id but admits other tenants' rows for SELECT (USING), UPDATE (USING), DELETE (USING), INSERT (WITH CHECK), UPDATE (WITH CHECK): "
            + "tenant_id = COALESCE((current_setting('app.tenant'::text, true))::integer, tenant_id): COALESCE around the setting: an unset setting compares the tenant column with itself and admits every tenant.");
        report.Findings.Single(f => f.Code == "DT005").Title.ShouldContain("never reads tenant_id for SELECT (USING), UPDATE (USING), DELETE (USING)");
    }

    [Test]
    public async Task Coalesce_around_the_setting_shows_a_connection_without_a_tenant_every_tenants_rows() =>
        (await ForeignRowsAsync(tenant: null, "select count(*) from fails_open.coalesce_rows where tenant_id = 2")).ShouldBe(1);

    [Test]
    public async Task Is_not_null_shows_tenant_1_the_rows_of_tenant_2() =>
        (await ForeignRowsAsync("1", "select count(*) from fails_open.not_null_rows where tenant_id = 2")).ShouldBe(1);

    [Test]
    public async Task Insert_with_check_is_not_null_lets_tenant_1_write_a_row_for_tenant_2() =>
        (await ForeignRowsAsync("1", "insert into fails_open.insert_rows values (2, 3)")).ShouldBe(1, "the row of tenant 2 was written (RETURNING would fail: tenant 1 may not read it)");

    [Test]
    public async Task The_logins_name_as_tenant_shows_every_tenant_of_the_shared_login_the_same_row()
    {
        var sql = $"select count(*) from fails_open.login_rows where tenant = '{_db.AppRole}'";
        (await ForeignRowsAsync("acme", sql)).ShouldBe(1);
        (await ForeignRowsAsync("globex", sql)).ShouldBe(1);
    }

    [Test]
    public async Task Without_nullif_a_connection_whose_setting_was_reset_sees_the_empty_tenants_rows()
    {
        await using var connection = new NpgsqlConnection(_db.AppConnectionString);
        await connection.OpenAsync();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await Scalar(connection, "select set_config('app.tenant', 'acme', true)");
            await transaction.CommitAsync();
        }

        (await Scalar(connection, "select count(*) from fails_open.empty_rows where tenant = ''")).ShouldBe(1, "the setting now reads '' and '' is a tenant");
        (await Scalar(connection, "select count(*) from safe.text_rows where tenant = ''")).ShouldBe(0, "NULLIF turns '' into NULL: no row");
    }

    [Test]
    public async Task A_using_that_reads_another_tables_tenant_shows_tenant_1_the_rows_of_tenant_2() =>
        (await ForeignRowsAsync("1", "select count(*) from fails_open.using_other where tenant_id = 2")).ShouldBe(1);

    [TestCase("1", "select count(*) from safe.deny_rows where tenant_id = 2")]
    [TestCase("1", "select count(*) from safe.restrictive_rows where tenant_id = 2")]
    [TestCase("1", "select count(*) from safe.restrictive_only")]
    [TestCase("acme", "select count(*) from safe.text_rows where tenant <> 'acme'")]
    [TestCase("", "select count(*) from safe.text_rows")]
    [TestCase(null, "select count(*) from safe.restrictive_rows")]
    [TestCase("acme", "select count(*) from other_scheme.profiles")]
    public async Task A_safe_construct_shows_no_other_tenants_row(string? tenant, string sql) =>
        (await ForeignRowsAsync(tenant, sql)).ShouldBe(0);

    [Test]
    public async Task The_control_the_owner_sees_the_rows_the_safe_constructs_hide()
    {
        await using var admin = new NpgsqlConnection(_db.AdminConnectionString);
        await admin.OpenAsync();
        (await Scalar(admin, "select count(*) from safe.restrictive_rows where tenant_id = 2")).ShouldBe(1);
        (await Scalar(admin, "select count(*) from other_scheme.profiles")).ShouldBe(1);
    }

    /// <summary>
    /// The count <paramref name="sql"/> returns (or the rows an INSERT wrote) as the app role with the setting at
    /// <paramref name="tenant"/>, never set when null (an unpooled session), in a transaction rolled back.
    /// </summary>
    private async Task<long> ForeignRowsAsync(string? tenant, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_db.AppConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        if (tenant is not null)
        {
            await Scalar(connection, $"select set_config('app.tenant', '{tenant}', true)");
        }

        long count;
        if (sql.StartsWith("insert", StringComparison.Ordinal))
        {
            await using var insert = new NpgsqlCommand(sql, connection);
            count = await insert.ExecuteNonQueryAsync();
        }
        else
        {
            count = await Scalar(connection, sql);
        }

        await transaction.RollbackAsync();
        return count;
    }

    private static async Task<long> Scalar(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync() switch
        {
            long l => l,
            _ => 0,
        };
    }
}
