using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Connections;

[Category(Categories.Database)]
public class PrivilegedRoleTests
{
    private OrdersDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await OrdersDatabase.CreateAsync("privileged");

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    [Test]
    public async Task A_superuser_login_is_refused_on_first_open()
    {
        await using var tenants = TenantDataSource.Create(_db.Database.AdminConnectionString);
        var user = new NpgsqlConnectionStringBuilder(_db.Database.AdminConnectionString).Username;
        var error = Should.Throw<UnsafeRoleException>(() => tenants.Open("acme"));
        error.Message.ShouldBe(
            $"The tenant data source logs in as '{user}', which is a superuser: PostgreSQL skips Row-Level Security for it, "
            + "so every tenant would see and write every other tenant's rows. Connect as a role created with NOSUPERUSER NOBYPASSRLS "
            + "that does not own the tables, or set TenantOptions.AllowPrivilegedRole = true if you accept that the policies do not apply.");
        (await Should.ThrowAsync<UnsafeRoleException>(async () => await tenants.OpenAsync("acme"))).Message.ShouldBe(error.Message, "the refusal is not cached away");
        error.ShouldBeAssignableTo<TenantIsolationException>();
    }

    [Test]
    public async Task A_BYPASSRLS_login_is_refused()
    {
        var role = _db.Database.AppRole + "_bypass";
        await _db.Database.ExecuteAsAdminAsync($"""create role "{role}" login password '{_db.Database.Password}' bypassrls; grant connect on database "{_db.Database.Name}" to "{role}"; grant select on orders to "{role}";""");
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(_db.Database.AppConnectionString) { Username = role };
            await using var tenants = TenantDataSource.Create(builder.ConnectionString);
            (await Should.ThrowAsync<UnsafeRoleException>(async () => await tenants.OpenAsync("acme"))).Message
                .ShouldStartWith($"The tenant data source logs in as '{role}', which is a role with BYPASSRLS: PostgreSQL skips Row-Level Security for it");
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await _db.Database.ExecuteAsAdminAsync($"""drop owned by "{role}"; drop role "{role}";""");
        }
    }

    [Test]
    public async Task AllowPrivilegedRole_lets_a_superuser_through_and_policies_then_do_not_apply()
    {
        await using var tenants = TenantDataSource.Create(_db.Database.AdminConnectionString, o => o.AllowPrivilegedRole = true);
        await using var connection = await tenants.OpenAsync("acme");
        (await connection.ExecuteScalarAsync<long>("select count(*) from orders where id < 10000")).ShouldBe(10, "a superuser sees every tenant's rows: that is why it is refused by default");
    }

    [Test]
    public async Task The_app_login_is_accepted()
    {
        await using var tenants = _db.CreateTenants();
        await using var connection = await tenants.OpenAsync("acme");
        (await connection.ExecuteScalarAsync<long>("select count(*) from orders where id < 10000")).ShouldBe(5);
    }
}
