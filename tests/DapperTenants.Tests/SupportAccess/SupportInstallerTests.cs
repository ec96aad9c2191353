using System.Security.Cryptography;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.SupportAccess;

/// <summary>The installer's support access step: idempotent, scripted to the same end state, refusing unsafe roles, compatible with the signed context.</summary>
[Category(Categories.Database)]
public class SupportInstallerTests
{
    [Test]
    public async Task Applying_twice_finds_nothing_to_do_and_a_drifted_policy_is_recreated()
    {
        await using var db = await SupportDatabase.CreateAsync("support_idempotent");
        db.Plan.Steps.ShouldContain(s => s.Reason == "access log missing");
        db.Plan.Steps.ShouldContain(s => s.Reason == "support policies missing");
        Installer(db).Plan().IsEmpty.ShouldBeTrue();

        await db.Orders.Database.ExecuteAsOwnerAsync("""
            ALTER POLICY dapper_tenants_support_scope ON orders USING (true);
            COMMENT ON POLICY dapper_tenants_support_scope ON orders IS 'edited by hand';
            GRANT SELECT ON dapper_tenants.access_log TO PUBLIC;
            GRANT INSERT ON dapper_tenants.access_log_writes TO PUBLIC;
            GRANT EXECUTE ON FUNCTION dapper_tenants.log_support_write(text) TO PUBLIC;
            """);
        var plan = await Installer(db).PlanAsync();
        plan.Steps.Select(s => s.ToString()).ShouldBe(
        [
            "\"dapper_tenants\".\"access_log\": PUBLIC may read or change the access log directly",
            "\"dapper_tenants\".\"access_log_writes\": PUBLIC may read or change the write log directly",
            "\"dapper_tenants\".\"log_support_write\"(pg_catalog.text): PUBLIC may execute a support access function",
            "\"public\".\"orders\": support policies differ from the model",
        ]);
        await Installer(db).ApplyAsync();
        (await Installer(db).PlanAsync()).IsEmpty.ShouldBeTrue();
    }

    [Test]
    public async Task The_script_leaves_the_state_applying_leaves()
    {
        await using var orders = await OrdersDatabase.CreateAsync("support_script");
        var (role, login) = await CreateRolesAsync(orders);
        try
        {
            var installer = new PolicyInstaller(orders.Owner).Add<SupportOrder>().GrantTo(orders.Database.AppRole).UseSupportAccess(role);
            var script = installer.Script();
            script.ShouldContain("-- Support access (PolicyInstaller.UseSupportAccess)");
            await orders.Database.ExecuteAsOwnerAsync(script);
            await orders.Database.ExecuteAsOwnerAsync(script);
            var plan = await installer.PlanAsync();
            plan.IsEmpty.ShouldBeTrue(plan.ToString());
        }
        finally
        {
            await DropRolesAsync(orders, role, login);
        }
    }

    [Test]
    public async Task A_missing_support_role_is_an_error_that_says_how_to_create_it()
    {
        await using var orders = await OrdersDatabase.CreateAsync("support_missing");
        var plan = await new PolicyInstaller(orders.Owner).Add<SupportOrder>().UseSupportAccess("no_such_support").PlanAsync();
        plan.Errors.ShouldBe(
        [
            "The support role \"no_such_support\" given to UseSupportAccess does not exist. Create it first: CREATE ROLE \"no_such_support\" NOLOGIN NOSUPERUSER NOBYPASSRLS; "
            + "then GRANT \"no_such_support\" TO <each operator's login>; (see docs/support-access.md).",
        ]);
    }

    [Test]
    public async Task A_schema_the_installer_neither_owns_nor_may_use_is_a_clear_error_not_a_permission_failure()
    {
        await using var orders = await OrdersDatabase.CreateAsync("support_foreign_schema");
        var (role, login) = await CreateRolesAsync(orders);
        try
        {
            await orders.Database.ExecuteAsAdminAsync("CREATE SCHEMA dapper_tenants;");
            var plan = await new PolicyInstaller(orders.Owner).Add<SupportOrder>().UseSupportAccess(role).PlanAsync();
            plan.Errors.ShouldHaveSingleItem().ShouldStartWith("Schema \"dapper_tenants\" is owned by ");
            plan.Errors[0].ShouldEndWith("so the installer's login \"" + orders.Database.OwnerRole + "\" cannot keep the access log in it. "
                + "Connect the installer as " + plan.Errors[0].Split(" is owned by ")[1].Split(',')[0] + ", or drop the schema.");
        }
        finally
        {
            await orders.Database.ExecuteAsAdminAsync("DROP SCHEMA dapper_tenants;");
            await DropRolesAsync(orders, role, login);
        }
    }

    [Test]
    public async Task A_bypassrls_support_role_is_refused()
    {
        await using var orders = await OrdersDatabase.CreateAsync("support_bypass");
        var (role, login) = await CreateRolesAsync(orders);
        try
        {
            await orders.Database.ExecuteAsAdminAsync($"ALTER ROLE \"{role}\" BYPASSRLS;");
            var plan = await new PolicyInstaller(orders.Owner).Add<SupportOrder>().UseSupportAccess(role).PlanAsync();
            plan.Errors.ShouldBe(
            [
                $"The support role \"{role}\" is BYPASSRLS, so no policy applies to it and its sessions would read every tenant without a log row. "
                + $"ALTER ROLE \"{role}\" NOSUPERUSER NOBYPASSRLS;",
            ]);
        }
        finally
        {
            await DropRolesAsync(orders, role, login);
        }
    }

    [Test]
    public void A_role_name_that_is_not_an_identifier_is_refused()
    {
        using var owner = NpgsqlDataSource.Create("Host=localhost");
        Should.Throw<ArgumentException>(() => new PolicyInstaller(owner).UseSupportAccess("")).Message
            .ShouldBe("The role name \"\" is empty; PostgreSQL identifiers need at least one character. (Parameter 'supportRole')");
    }

    [Test]
    public async Task With_the_signed_context_the_app_stays_isolated_and_support_sessions_work()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        await using var db = await SupportDatabase.CreateAsync("support_signed", installer => installer.UseSignedContext(key));
        (await Installer(db).UseSignedContext(key).PlanAsync()).IsEmpty.ShouldBeTrue();

        await using var tenants = db.Orders.CreateTenants(options: o => o.SigningKey = key);
        await using (var acme = await tenants.OpenAsync(OrdersDatabase.Acme))
        {
            (await acme.QueryAsync<int>("select id from orders order by id")).ShouldBe([1, 2, 3, 4, 5]);
        }

        // The app login forging the setting (no key): nothing, as before support access was installed.
        await using (var app = await db.OpenAppAsync())
        {
            await app.ExecuteAsync("select set_config('dapper_tenants.tenant', 'acme', false)");
            (await app.ExecuteScalarAsync<long>("select count(*) from orders")).ShouldBe(0);
        }

        var support = db.CreateSupport();
        await using var session = await support.OpenAsync("oscar", "signed install", SupportScope.Of(OrdersDatabase.Globex));
        (await session.QueryAsync<int>("select id from orders order by id")).ShouldBe([101, 102, 103]);

        // Writes of a write-allowed session are logged and admitted; the same write without the log row is refused.
        await using var writer = await support.OpenAsync("oscar", "signed write", SupportScope.Of(OrdersDatabase.Globex), allowWrites: true);
        (await writer.ExecuteAsync("update orders set note = 'signed' where id = 101")).ShouldBe(1);
        (await new SupportAccessLog(db.Owner).ReadWritesAsync()).ShouldHaveSingleItem().SessionId.ShouldBe(writer.LogId!.Value);
        await using var bypass = new NpgsqlCommand("update orders set note = 'bypass' where id = 101", writer.Inner);
        (await Should.ThrowAsync<PostgresException>(async () => await bypass.ExecuteNonQueryAsync())).SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    private static PolicyInstaller Installer(SupportDatabase db) =>
        new PolicyInstaller(db.Owner).Add<SupportOrder>().GrantTo(db.AppRole).UseSupportAccess(db.SupportRole);

    private static async Task<(string Role, string Login)> CreateRolesAsync(OrdersDatabase orders)
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var (role, login) = ("dt_support_" + suffix, "dt_operator_" + suffix);
        await orders.Database.ExecuteAsAdminAsync($"""
            CREATE ROLE "{role}" NOLOGIN NOSUPERUSER NOBYPASSRLS;
            CREATE ROLE "{login}" LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE "{role}";
            """);
        return (role, login);
    }

    private static async Task DropRolesAsync(OrdersDatabase orders, string role, string login)
    {
        await orders.Database.ExecuteAsOwnerAsync("DROP SCHEMA IF EXISTS dapper_tenants CASCADE; DROP POLICY IF EXISTS dapper_tenants_support ON orders; "
            + "DROP POLICY IF EXISTS dapper_tenants_support_scope ON orders; DROP POLICY IF EXISTS dapper_tenants_support_delete ON orders;");
        await orders.Database.ExecuteAsAdminAsync($"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM \"{role}\"; REVOKE ALL ON SCHEMA public FROM \"{role}\"; "
            + $"DROP ROLE \"{login}\"; DROP ROLE \"{role}\";");
    }
}
