using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Audit;

/// <summary>
/// What the audit says about the objects around tenant tables, judged by what they read and who may reach them: a view
/// over a function's row type, a whole-row policy, partitions granted to nobody or to the app (nested too), SECURITY
/// DEFINER functions by the tables they read (through the functions they call), materialized views by who may read them,
/// and a table owned by a superuser. Every leak is confirmed by the app role seeing another tenant's row, every silent
/// object by it not seeing one.
/// </summary>
[Category(Categories.Database)]
public sealed class ObjectsAuditTests
{
    private static readonly string[] Ignored = ["DT060", "DT061", "DT070", "DT080", "DT081"];

    private TestDatabase _db = null!;
    private string _superuser = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await TestServer.CreateDatabaseAsync("audit_objects");
        _superuser = new NpgsqlConnectionStringBuilder(_db.AdminConnectionString).Username!;
        var app = $"\"{_db.AppRole}\"";
        await _db.ExecuteAsAdminAsync($"create schema objs authorization \"{_db.OwnerRole}\"; grant usage on schema objs to {app};");
        await _db.ExecuteAsOwnerAsync(AuditTestSql.Protected("objs.orders") + AuditTestSql.Protected("objs.unforced_orders") + $$"""
            alter table objs.unforced_orders no force row level security;

            create function objs.order_rows() returns setof objs.unforced_orders language sql security invoker as 'select * from objs.unforced_orders';
            create view objs.rowtype_view as select * from objs.order_rows();          -- a row type, not a read: silent
            create view objs.column_view as select (objs.order_rows()).tenant;         -- a field of the row type: silent
            create view objs.direct_view as select * from objs.unforced_orders;        -- DT040

            create table objs.whole_rows (tenant text not null, id int not null, primary key (tenant, id));
            alter table objs.whole_rows enable row level security; alter table objs.whole_rows force row level security;
            create function objs.visible(r objs.whole_rows) returns boolean language sql stable
                as $f$ select r.tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')) $f$;
            create policy by_row on objs.whole_rows using (objs.visible(whole_rows));  -- DT008: reads the row, the audit cannot see how

            create table objs.events (tenant text not null, id int not null, primary key (tenant, id)) partition by list (tenant);
            alter table objs.events enable row level security; alter table objs.events force row level security;
            create policy tenant_isolation on objs.events using (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')));
            create table objs.events_hidden partition of objs.events for values in ('acme');              -- granted to nobody: silent
            create table objs.events_open partition of objs.events for values in ('globex');              -- DT050
            create table objs.events_sub partition of objs.events for values in ('c', 'd') partition by list (tenant);   -- granted to nobody: silent
            create table objs.events_leaf partition of objs.events_sub for values in ('c');              -- DT050, under events_sub
            create table objs.events_leaf2 partition of objs.events_sub for values in ('d');             -- granted to nobody: silent

            create function objs.peek_unforced() returns bigint language sql security definer as 'select count(*) from objs.unforced_orders';   -- DT042
            create function objs.peek_forced() returns bigint language sql security definer as 'select count(*) from objs.orders';   -- forced: silent
            create function objs.no_table() returns int language sql security definer as 'select 1';                                  -- silent
            create function objs.helper() returns bigint language sql as 'select count(*) from objs.unforced_orders';
            create function objs.via_helper() returns bigint language sql security definer as 'select objs.helper()';               -- DT042
            create function objs.dynamic(t text) returns bigint language plpgsql security definer
                as $f$ declare n bigint; begin execute format('select count(*) from %s', t) into n; return n; end $f$;           -- DT042, opaque
            create function objs.atomic_peek() returns bigint language sql security definer
                return (select count(*) from objs.unforced_orders);                                                                  -- DT042: a SQL-standard body

            create materialized view objs.private_snapshot as select * from objs.unforced_orders;   -- DT041 info: only its owner reads it
            create materialized view objs.shared_snapshot as select * from objs.unforced_orders;    -- DT041 error: granted
            """);
        await _db.ExecuteAsAdminAsync(AuditTestSql.Protected("objs.su_rows") + $"""
            alter table objs.su_rows no force row level security;                                    -- DT002: FORCE would not bind its owner
            create function objs.su_clock() returns timestamptz language sql security definer as 'select now()';   -- superuser's, reads nothing: silent
            grant select on objs.rowtype_view, objs.column_view, objs.direct_view, objs.events, objs.orders, objs.unforced_orders, objs.whole_rows to {app};
            grant select on objs.events_open to {app};
            grant select, insert on objs.events_leaf to {app};
            grant select on objs.shared_snapshot to {app};
            insert into objs.unforced_orders values ('acme', 1), ('globex', 2);
            insert into objs.orders values ('acme', 1), ('globex', 2);
            insert into objs.whole_rows values ('acme', 1), ('globex', 2);
            insert into objs.events values ('acme', 1), ('globex', 2), ('c', 3), ('d', 4);
            refresh materialized view objs.shared_snapshot;
            """);
    }

    [OneTimeTearDown]
    public Task DropDatabase() => _db.DisposeAsync().AsTask();

    [TestCase(true)]
    [TestCase(false)]
    public async Task Each_object_that_leaks_is_found_with_its_code_and_severity_and_each_safe_one_is_silent(bool async)
    {
        var audit = new TenantAudit(_db.CreateOwnerDataSource(), new TenantAuditOptions { AppRole = _db.AppRole, IgnoredCodes = Ignored });
        var report = async ? await audit.RunAsync() : audit.Run();

        report.Findings.Select(f => (f.Code, AuditReport.SeverityName(f.Severity), f.Target)).ShouldBe(
        [
            ("DT002", "warning", "objs.su_rows"),
            ("DT002", "warning", "objs.unforced_orders"),
            ("DT008", "warning", "by_row ON objs.whole_rows"),
            ("DT040", "error", "objs.direct_view"),
            ("DT041", "info", "objs.private_snapshot"),
            ("DT041", "error", "objs.shared_snapshot"),
            ("DT042", "warning", "objs.atomic_peek()"),
            ("DT042", "warning", "objs.dynamic(t text)"),
            ("DT042", "warning", "objs.peek_unforced()"),
            ("DT042", "warning", "objs.via_helper()"),
            ("DT050", "error", "objs.events_leaf"),
            ("DT050", "error", "objs.events_open"),
        ], string.Join(Environment.NewLine, report.Findings));

        string Title(string target) => report.Findings.Single(f => f.Target == target).Title;
        var app = _db.AppRole;
        Title("objs.events_open").ShouldBe($"Partition objs.events_open of the protected table objs.events has Row-Level Security disabled and is granted directly: SELECT to {app}.");
        Title("objs.events_leaf").ShouldBe(
            $"Partition objs.events_leaf of the protected table objs.events (under objs.events_sub, which has none either) has Row-Level Security disabled and is granted directly: SELECT, INSERT to {app}.");
        Title("objs.shared_snapshot").ShouldBe($"The materialized view objs.shared_snapshot stores rows of objs.unforced_orders, and SELECT on it is granted to {app}.");
        Title("objs.private_snapshot").ShouldBe($"The materialized view objs.private_snapshot stores rows of objs.unforced_orders; only its owner {_db.OwnerRole} may read it.");
        Title("objs.via_helper()").ShouldBe(
            $"The SECURITY DEFINER function objs.via_helper() reads objs.unforced_orders without the policies: its owner {_db.OwnerRole} owns it, and Row-Level Security is not forced.");
        Title("objs.dynamic(t text)").ShouldBe(
            $"The SECURITY DEFINER function objs.dynamic(t text) runs as a role that bypasses Row-Level Security (its owner {_db.OwnerRole} owns a tenant table that does not FORCE row level security), "
            + "and the audit cannot see which tables it reads: it runs dynamic SQL (EXECUTE), which the audit cannot follow.");
        report.Findings.Single(f => f.Target == "objs.su_rows").Fix.ShouldBe(
            $"Its owner {_superuser} is a superuser or has BYPASSRLS, which FORCE ROW LEVEL SECURITY does not bind: ALTER TABLE objs.su_rows OWNER TO <a role without SUPERUSER or BYPASSRLS>; then ALTER TABLE objs.su_rows FORCE ROW LEVEL SECURITY;");
        report.Findings.Single(f => f.Target == "objs.unforced_orders").Fix.ShouldBe("ALTER TABLE objs.unforced_orders FORCE ROW LEVEL SECURITY;");
    }

    [TestCase("select count(*) from objs.direct_view", 2, Description = "DT040: the view reads as its owner")]
    [TestCase("select count(*) from objs.rowtype_view", 1, Description = "the function runs as the caller: policies apply")]
    [TestCase("select count(*) from objs.column_view", 1)]
    [TestCase("select count(*) from objs.events_open", 1, Description = "DT050: globex's row, for tenant acme")]
    [TestCase("select count(*) from objs.events_leaf", 1, Description = "DT050: tenant c's row, for tenant acme")]
    [TestCase("select count(*) from objs.events where tenant <> 'acme'", 0, Description = "through the parent the policy applies")]
    [TestCase("select objs.peek_unforced()", 2)]
    [TestCase("select objs.via_helper()", 2)]
    [TestCase("select objs.atomic_peek()", 2)]
    [TestCase("select objs.dynamic('objs.unforced_orders')", 2)]
    [TestCase("select objs.peek_forced()", 1, Description = "forced: the owner is held to the policy")]
    [TestCase("select count(*) from objs.shared_snapshot", 2)]
    [TestCase("select count(*) from objs.whole_rows", 1, Description = "the whole-row policy isolates: DT008 is a warning, not DT005")]
    public async Task As_the_app_role_of_tenant_acme_the_count_is(string sql, long expected) =>
        (await AsAcmeAsync(sql)).ShouldBe(expected);

    [TestCase("objs.events_hidden")]
    [TestCase("objs.events_sub")]
    [TestCase("objs.events_leaf2")]
    [TestCase("objs.private_snapshot")]
    public async Task A_relation_granted_to_nobody_is_refused_to_the_app_role(string relation)
    {
        var error = await Should.ThrowAsync<PostgresException>(() => AsAcmeAsync($"select count(*) from {relation}"));
        error.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    private async Task<long> AsAcmeAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_db.AppConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var set = new NpgsqlCommand("select set_config('dapper_tenants.tenant', 'acme', true)", connection, transaction))
        {
            await set.ExecuteScalarAsync();
        }

        await using var command = new NpgsqlCommand(sql, connection, transaction);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
