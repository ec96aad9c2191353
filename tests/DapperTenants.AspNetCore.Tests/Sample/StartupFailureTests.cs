using DapperTenants.AspNetCore.Tests.Support;

namespace DapperTenants.AspNetCore.Tests.Sample;

/// <summary>A model the database cannot carry stops the app before it serves anything.</summary>
[Category(Categories.Database)]
public sealed class StartupFailureTests
{
    [Test]
    public async Task Startup_fails_with_the_installers_messages_when_the_model_does_not_match()
    {
        await using var database = await (await SharedServer.GetAsync()).CreateDatabaseAsync("aspnet_badmodel");
        await database.ExecuteAsOwnerAsync("create table orders (id int primary key, tenant int not null, total numeric(10,2) not null)");
        await using var factory = new SampleFactory(database.AppConnectionString, database.OwnerConnectionString);

        var error = Should.Throw<RlsModelException>(() => factory.CreateClient());

        error.Message.ShouldStartWith("PolicyInstaller applied nothing: the database does not match the [Rls] types.");
        error.Message.ShouldContain(
            "- Column \"tenant\" of \"public\".\"orders\" is integer, but Order.Tenant is string, which needs text, character varying or character. "
            + "Change the property type or the column type.");
        await using var admin = Npgsql.NpgsqlDataSource.Create(database.AdminConnectionString);
        await using var connection = await admin.OpenConnectionAsync();
        (await connection.ExecuteScalarAsync<bool>("select relrowsecurity from pg_class where oid = 'public.orders'::regclass")).ShouldBeFalse();
    }

    [Test]
    public async Task Startup_fails_when_the_table_is_missing()
    {
        await using var database = await (await SharedServer.GetAsync()).CreateDatabaseAsync("aspnet_notable");
        await using var factory = new SampleFactory(database.AppConnectionString, database.OwnerConnectionString);

        var error = Should.Throw<RlsModelException>(() => factory.CreateClient());

        error.Message.ShouldContain(
            "- Table \"public\".\"orders\" (Order.Tenant) does not exist. Create it first (the installer never creates tables), or fix the name in [Rls] or [Table].");
    }
}
