using DapperTenants.Testing;
using Npgsql;

namespace DapperTenants.AspNetCore.Tests.Support;

/// <summary>
/// A database with the sample's <c>orders</c> table, rows of three tenants, and (unless asked otherwise) the policies
/// of the sample's <see cref="Order"/> type installed by <see cref="PolicyInstaller"/> as the owner.
/// </summary>
public sealed class ShopDatabase : IAsyncDisposable
{
    public const string Acme = "acme";
    public const string Globex = "globex";
    public const string Initech = "initech";

    private ShopDatabase(TestDatabase database) => Database = database;

    public TestDatabase Database { get; }

    public string AppConnectionString => Database.AppConnectionString;

    public string OwnerConnectionString => Database.OwnerConnectionString;

    public string AdminConnectionString => Database.AdminConnectionString;

    /// <summary>Creates the database.</summary>
    /// <param name="prefix">A readable prefix for the database name.</param>
    /// <param name="installPolicies">Installs the policies now (tests of startup installation leave that to the app).</param>
    /// <param name="tenantIndex">Creates an index leading on the tenant column (without it the installer warns).</param>
    public static async Task<ShopDatabase> CreateAsync(string prefix, bool installPolicies = true, bool tenantIndex = true)
    {
        var database = new ShopDatabase(await (await SharedServer.GetAsync()).CreateDatabaseAsync(prefix));
        await database.Database.ExecuteAsOwnerAsync(
            "create table orders (id int primary key, tenant text not null, total numeric(10,2) not null);"
            + (tenantIndex ? "create index orders_tenant on orders (tenant, id);" : ""));
        await database.Database.ExecuteAsAdminAsync("""
            insert into orders values
                (1, 'acme', 10.00), (2, 'acme', 20.00), (3, 'acme', 30.00),
                (101, 'globex', 1.00), (102, 'globex', 2.00),
                (201, 'initech', 7.00);
            """);
        if (installPolicies)
        {
            await using var owner = database.Database.CreateOwnerDataSource();
            await new PolicyInstaller(owner).Add<Order>().ApplyAsync();
        }

        return database;
    }

    /// <summary>Adds <paramref name="count"/> tenants named <c>t00</c>, <c>t01</c>… with 1 to 12 rows each; returns the row ids per tenant.</summary>
    public async Task<Dictionary<string, int[]>> SeedTenantsAsync(int count, int seed)
    {
        var random = new Random(seed);
        var rows = new Dictionary<string, int[]>(StringComparer.Ordinal);
        var values = new List<string>();
        var id = 10_000;
        for (var t = 0; t < count; t++)
        {
            var tenant = $"t{t:00}";
            var ids = Enumerable.Range(0, random.Next(1, 13)).Select(_ => id++).ToArray();
            rows[tenant] = ids;
            values.AddRange(ids.Select(i => $"({i}, '{tenant}', {i % 97}.50)"));
        }

        await Database.ExecuteAsAdminAsync("insert into orders values " + string.Join(", ", values));
        return rows;
    }

    /// <summary>Every row, read as a superuser (no Row-Level Security).</summary>
    public async Task<List<Order>> AllOrdersAsync()
    {
        await using var admin = NpgsqlDataSource.Create(AdminConnectionString);
        await using var connection = await admin.OpenConnectionAsync();
        return (await connection.QueryAsync<Order>("select id, tenant, total from orders order by id")).ToList();
    }

    /// <summary>Whether <c>orders</c> has Row-Level Security enabled and forced, as the catalog says.</summary>
    public async Task<(bool Enabled, bool Forced, long Policies)> RlsStateAsync()
    {
        await using var admin = NpgsqlDataSource.Create(AdminConnectionString);
        await using var connection = await admin.OpenConnectionAsync();
        return await connection.QuerySingleAsync<(bool, bool, long)>("""
            select c.relrowsecurity, c.relforcerowsecurity, (select count(*) from pg_policy p where p.polrelid = c.oid)
            from pg_class c where c.oid = 'public.orders'::regclass
            """);
    }

    public ValueTask DisposeAsync()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        return Database.DisposeAsync();
    }
}
