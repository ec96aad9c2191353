using System.ComponentModel.DataAnnotations.Schema;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Policies;

/// <summary>Mixed-case and reserved names in a schema other than public, and what GrantTo grants (and never grants).</summary>
[Category(Categories.Database)]
public sealed class QuotingAndGrantTests
{
    private TestDatabase _database = null!;
    private NpgsqlDataSource _owner = null!;

    [SetUp]
    public async Task CreateTablesNeedingQuotes()
    {
        _database = await TestServer.CreateDatabaseAsync("quoting");
        await _database.ExecuteAsOwnerAsync("""
            CREATE SCHEMA "Sales";
            CREATE TABLE "Sales"."OrderLines" (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "TenantKey" text NOT NULL, qty integer);
            CREATE INDEX ON "Sales"."OrderLines" ("TenantKey");
            CREATE TABLE "Sales"."order" (id serial PRIMARY KEY, "user" uuid NOT NULL, total integer);
            CREATE INDEX ON "Sales"."order" ("user");
            """);
        _owner = _database.CreateOwnerDataSource();
    }

    [TearDown]
    public async Task DropDatabase()
    {
        await _owner.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Test]
    public async Task Quoted_names_in_another_schema_are_isolated_after_apply_with_GrantTo()
    {
        var plan = await Installer().ApplyAsync();

        plan.Errors.ShouldBeEmpty();
        plan.Warnings.ShouldBeEmpty();
        var app = $"\"{_database.AppRole}\"";
        plan.Steps.Where(s => s.Reason.StartsWith("role", StringComparison.Ordinal)).Select(s => s.ToString()).ShouldBe([
            $"\"Sales\": role {app} lacks USAGE on the schema",
            $"\"Sales\".\"OrderLines\": role {app} lacks SELECT, INSERT, UPDATE, DELETE on the table",
            $"\"Sales\".\"OrderLines_id_seq\": role {app} lacks USAGE, SELECT on the sequence",
            $"\"Sales\".\"order\": role {app} lacks SELECT, INSERT, UPDATE, DELETE on the table",
            $"\"Sales\".\"order_id_seq\": role {app} lacks USAGE, SELECT on the sequence",
        ]);
        (await Installer().PlanAsync()).IsEmpty.ShouldBeTrue();

        var acme = Guid.NewGuid();
        var globex = Guid.NewGuid();
        await using var tenants = _database.CreateTenantDataSource(configureOptions: o => o.GuardMode = TenantGuardMode.Off);
        await using (var a = await tenants.OpenAsync("acme"))
        {
            await a.ExecuteAsync("""insert into "Sales"."OrderLines" (qty) values (1), (2)""");
        }

        await using (var g = await tenants.OpenAsync("globex"))
        {
            await g.ExecuteAsync("""insert into "Sales"."OrderLines" (qty) values (3)""");
        }

        await using (var a = await tenants.OpenAsync(acme.ToString()))
        {
            await a.ExecuteAsync("""insert into "Sales"."order" (total) values (10)""");
        }

        await using (var g = await tenants.OpenAsync(globex.ToString()))
        {
            await g.ExecuteAsync("""insert into "Sales"."order" (total) values (20)""");
            (await g.QueryAsync<int>("""select total from "Sales"."order" """)).ShouldBe([20]);
            (await g.ExecuteAsync("""update "Sales"."order" set total = 0""")).ShouldBe(1);
        }

        await using (var a = await tenants.OpenAsync("acme"))
        {
            (await a.QueryAsync<int>("""select qty from "Sales"."OrderLines" order by qty""")).ShouldBe([1, 2]);
            (await a.ExecuteAsync("""delete from "Sales"."OrderLines" where qty = 3""")).ShouldBe(0);
        }

        await using var admin = new NpgsqlConnection(_database.AdminConnectionString);
        (await admin.QueryAsync<string>("""select "TenantKey" || ':' || qty from "Sales"."OrderLines" order by qty""")).ShouldBe(["acme:1", "acme:2", "globex:3"]);
        (await admin.QueryAsync<int>("""select total from "Sales"."order" where "user" = @Acme""", new { Acme = acme })).ShouldBe([10]);
    }

    [Test]
    public async Task GrantTo_never_grants_truncate_or_references_and_the_plan_warns_when_someone_did()
    {
        await Installer().ApplyAsync();
        await using var admin = new NpgsqlConnection(_database.AdminConnectionString);
        const string privileges = """
            select has_table_privilege(@App, '"Sales"."order"', 'TRUNCATE') or has_table_privilege(@App, '"Sales"."order"', 'REFERENCES')
                or has_table_privilege(@App, '"Sales"."OrderLines"', 'TRUNCATE') or has_table_privilege(@App, '"Sales"."OrderLines"', 'REFERENCES')
            """;
        (await admin.ExecuteScalarAsync<bool>(privileges, new { App = _database.AppRole })).ShouldBeFalse();
        await _database.ExecuteAsOwnerAsync($"""GRANT TRUNCATE, REFERENCES ON "Sales"."order" TO "{_database.AppRole}" """);

        var plan = await Installer().PlanAsync();

        plan.IsEmpty.ShouldBeTrue();
        plan.Warnings.ShouldBe([
            $"\"Sales\".\"order\": role \"{_database.AppRole}\" has TRUNCATE, which ignores Row-Level Security and empties every tenant's rows. "
                + $"REVOKE TRUNCATE ON \"Sales\".\"order\" FROM \"{_database.AppRole}\";",
            $"\"Sales\".\"order\": role \"{_database.AppRole}\" has REFERENCES; foreign keys ignore Row-Level Security and reveal other tenants' keys. "
                + $"REVOKE REFERENCES ON \"Sales\".\"order\" FROM \"{_database.AppRole}\";",
        ]);
    }

    [Test]
    public async Task Names_with_line_breaks_and_semicolons_stay_inside_their_quotes()
    {
        await _database.ExecuteAsOwnerAsync("CREATE TABLE \"odd\nname; --\" (\"ten;ant\" text NOT NULL); CREATE INDEX ON \"odd\nname; --\" (\"ten;ant\");");
        var installer = new PolicyInstaller(_owner).Add<OddName>();

        var plan = await installer.ApplyAsync();

        plan.Errors.ShouldBeEmpty();
        plan.ToSql().ShouldStartWith("-- \"public\".\"odd name; --\": RLS not enabled\nALTER TABLE \"public\".\"odd\nname; --\" ENABLE ROW LEVEL SECURITY;\n");
        (await CatalogProbe.RlsAsync(_database, "\"odd\nname; --\"")).ShouldBe((true, true));
        (await installer.PlanAsync()).IsEmpty.ShouldBeTrue();
    }

    private PolicyInstaller Installer() => new PolicyInstaller(_owner).Add<OrderLine>().Add<Order>().GrantTo(_database.AppRole);

    [Rls("OrderLines", Schema = "Sales", TenantColumn = "TenantKey")]
    public sealed class OrderLine
    {
        public int Id { get; set; }

        public string TenantKey { get; set; } = string.Empty;

        public int Qty { get; set; }
    }

    [Rls("odd\nname; --")]
    public sealed class OddName
    {
        [Column("ten;ant")]
        public string Tenant { get; set; } = string.Empty;
    }

    [Rls(TenantColumn = "user")]
    [Table("order", Schema = "Sales")]
    public sealed class Order
    {
        public int Id { get; set; }

        public Guid User { get; set; }

        public int Total { get; set; }
    }
}
