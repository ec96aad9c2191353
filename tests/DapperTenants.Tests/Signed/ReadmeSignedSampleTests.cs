using DapperTenants.Tests.Support;
using Npgsql;
using static DapperTenants.Tests.Signed.SignedDatabase;

namespace DapperTenants.Tests.Signed;

/// <summary>The C# samples of the README's "The signed context", compiled and run.</summary>
[Category(Categories.Database)]
public sealed class ReadmeSignedSampleTests
{
    [Test]
    public async Task The_signed_context_sample_installs_a_context_in_which_the_applications_tokens_verify()
    {
        await using var database = await TestServer.CreateDatabaseAsync("readme_signed");
        await database.ExecuteAsOwnerAsync("create table readme_orders (tenant text not null, id int not null, primary key (tenant, id))");
        await database.ExecuteAsAdminAsync("insert into readme_orders values ('acme', 1), ('globex', 2)");
        await using var owner = database.CreateOwnerDataSource();
        var (appLogin, appConnectionString) = (database.AppRole, database.AppConnectionString);
        var variable = Convert.ToHexStringLower(OtherKey);
        Environment.SetEnvironmentVariable("DAPPER_TENANTS_SIGNING_KEY", variable);
        try
        {
            await SignedContextSampleAsync(owner, appLogin, appConnectionString);
        }
        finally
        {
            Environment.SetEnvironmentVariable("DAPPER_TENANTS_SIGNING_KEY", null);
        }
    }

    private static async Task SignedContextSampleAsync(NpgsqlDataSource owner, string appLogin, string appConnectionString)
    {
        // README sample signed-context: SignedContextSampleAsync
        // 32 or more random bytes, from your secret store (generate once: RandomNumberGenerator.GetBytes(32), or openssl rand -hex 32).
        byte[] key = Convert.FromHexString(Environment.GetEnvironmentVariable("DAPPER_TENANTS_SIGNING_KEY")!);

        // Once, as the tables' owner: the key table, the verifier, the key, and policies that read the verifier.
        await new PolicyInstaller(owner).Add<Order>().GrantTo(appLogin).UseSignedContext(key).ApplyAsync();

        // The application signs its tenant with the same key.
        await using var tenants = TenantDataSource.Create(appConnectionString, o => o.SigningKey = key);
        // README sample end

        tenants.Options.SigningKey.ShouldBe(OtherKey);
        (await new PolicyInstaller(owner).Add<Order>().GrantTo(appLogin).UseSignedContext(key).PlanAsync()).IsEmpty.ShouldBeTrue();
        (await IdsAsync(appConnectionString, Minter(key).TokenFor("acme"))).ShouldBe([1]);
        await using var acme = await tenants.OpenAsync("acme");
        (await acme.QueryAsync<int>("select id from readme_orders order by id")).ShouldBe([1]);
    }

    [Test]
    public async Task The_rotation_sample_moves_from_one_key_to_the_next_without_a_moment_where_neither_verifies()
    {
        await using var database = await TestServer.CreateDatabaseAsync("readme_rotation");
        await database.ExecuteAsOwnerAsync("create table readme_orders (tenant text not null, id int not null, primary key (tenant, id))");
        await database.ExecuteAsAdminAsync("insert into readme_orders values ('acme', 1), ('globex', 2)");
        await using var owner = database.CreateOwnerDataSource();
        var (appLogin, oldKey, newKey) = (database.AppRole, Key, OtherKey);
        await new PolicyInstaller(owner).Add<Order>().GrantTo(appLogin).UseSignedContext(oldKey, "k1").ApplyAsync();
        var (oldToken, newToken) = (Minter(oldKey, "k1").TokenFor("acme"), Minter(newKey, "k2").TokenFor("acme"));
        var during = await RotationSampleAsync(owner, appLogin, oldKey, newKey, database.AppConnectionString, oldToken, newToken);

        during.Item1.ShouldBe([1]);
        during.Item2.ShouldBe([1]);
        (await IdsAsync(database.AppConnectionString, oldToken)).ShouldBeEmpty();
        (await IdsAsync(database.AppConnectionString, newToken)).ShouldBe([1]);
    }

    private static async Task<(int[], int[])> RotationSampleAsync(
        NpgsqlDataSource owner, string appLogin, byte[] oldKey, byte[] newKey, string appConnectionString, string oldToken, string newToken)
    {
        // README sample rotation: RotationSampleAsync
        PolicyInstaller Installer() => new PolicyInstaller(owner).Add<Order>().GrantTo(appLogin);
        await Installer().UseSignedContext(oldKey, "k1").UseSignedContext(newKey, "k2").ApplyAsync();  // both verify
        // README sample end
        var during = (await IdsAsync(appConnectionString, oldToken), await IdsAsync(appConnectionString, newToken));
        // README sample rotation: RotationSampleAsync
        // deploy the applications with SigningKey = newKey, SigningKeyId = "k2"
        await Installer().UseSignedContext(newKey, "k2").RetireSigningKey("k1").ApplyAsync();          // k1 tokens stop verifying
        // README sample end
        return during;
    }

    private static async Task<int[]> IdsAsync(string appConnectionString, string token)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(appConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await SetAsync(connection, token);
        return [.. await connection.QueryAsync<int>("select id from readme_orders order by id")];
    }

    [Rls("readme_orders")]
    public sealed class Order
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }
}
