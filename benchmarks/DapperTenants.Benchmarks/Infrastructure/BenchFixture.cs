using DapperTenants.Testing;
using Npgsql;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// The one database every benchmark of a run shares: a throwaway server and database from
/// <see cref="PostgresServer"/>, or the database named by <see cref="BenchEnvironment"/> when all three variables are set.
/// </summary>
internal sealed class BenchFixture : IAsyncDisposable
{
    private readonly PostgresServer? _server;
    private readonly TestDatabase? _database;
    private readonly bool _keep;

    private BenchFixture(PostgresServer? server, TestDatabase? database, string admin, string owner, string app, Dataset dataset, bool keep)
    {
        _server = server;
        _database = database;
        _keep = keep;
        AdminConnectionString = admin;
        OwnerConnectionString = owner;
        AppConnectionString = app;
        Dataset = dataset;
    }

    public string AdminConnectionString { get; }

    public string OwnerConnectionString { get; }

    public string AppConnectionString { get; }

    public Dataset Dataset { get; }

    /// <summary>Starts (or finds) the database and seeds it unless it already holds this data set.</summary>
    /// <param name="rows">Orders per table.</param>
    /// <param name="tenants">Tenants (and role-per-tenant roles).</param>
    /// <param name="keep">Leave the database in place at the end and print how to reuse it (an existing server only).</param>
    public static async Task<BenchFixture> StartAsync(int rows, int tenants, bool keep)
    {
        PostgresServer? server = null;
        TestDatabase? database = null;
        string admin, owner, app;
        if (BenchEnvironment.AllSet())
        {
            admin = BenchEnvironment.Require(BenchEnvironment.Admin);
            owner = BenchEnvironment.Require(BenchEnvironment.Owner);
            app = BenchEnvironment.Require(BenchEnvironment.App);
            Console.WriteLine("// PostgreSQL: the database named by " + BenchEnvironment.Owner);
        }
        else
        {
            server = await PostgresServer.StartAsync();
            Console.WriteLine("// PostgreSQL: " + server.Description);
            database = await server.CreateDatabaseAsync("bench");
            (admin, owner, app) = (database.AdminConnectionString, database.OwnerConnectionString, database.AppConnectionString);
            if (keep && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PostgresServer.ConnectionVariable)))
            {
                Console.WriteLine($"// --keep-database ignored: it needs a lasting server in {PostgresServer.ConnectionVariable}; a throwaway one goes at the end of the run.");
                keep = false;
            }
        }

        try
        {
            var databaseName = new NpgsqlConnectionStringBuilder(owner).Database!;
            var dataset = new Dataset(rows, tenants, RolePrefix(databaseName));
            await Seeder.EnsureAsync(admin, owner, app, dataset);
            Environment.SetEnvironmentVariable(BenchEnvironment.Admin, admin);
            Environment.SetEnvironmentVariable(BenchEnvironment.Owner, owner);
            Environment.SetEnvironmentVariable(BenchEnvironment.App, app);
            return new BenchFixture(server, database, admin, owner, app, dataset, keep);
        }
        catch
        {
            await DisposeAsync(server, database);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_database is null)
        {
            return;
        }

        if (_keep)
        {
            Console.WriteLine("// The benchmark database is kept. Reuse it (no re-seeding) with:");
            Console.WriteLine($"export {BenchEnvironment.Admin}='{AdminConnectionString}'");
            Console.WriteLine($"export {BenchEnvironment.Owner}='{OwnerConnectionString}'");
            Console.WriteLine($"export {BenchEnvironment.App}='{AppConnectionString}'");
            return;
        }

        await _database.DisposeAsync();
        if (_server is not null && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PostgresServer.ConnectionVariable)))
        {
            // A lasting server outlives the run: remove the cluster-wide tenant roles too.
            await Seeder.DropTenantRolesAsync(_server.AdminConnectionString, Dataset);
        }

        await DisposeAsync(_server, null);
    }

    private static async Task DisposeAsync(PostgresServer? server, TestDatabase? database)
    {
        if (database is not null)
        {
            await database.DisposeAsync();
        }

        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }

    // Roles are cluster-wide: derive their prefix from the (unique) database name so that runs sharing a server never collide.
    private static string RolePrefix(string databaseName) => (databaseName.Length > 40 ? databaseName[..40] : databaseName) + "_tenant_";
}
