using DapperTenants.Connections;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;
using NpgsqlConnection = Npgsql.NpgsqlConnection;

namespace DapperTenants.Tests.Signed;

[Rls("signed_orders")]
public sealed class SignedOrder
{
    public int Id { get; set; }

    public string Tenant { get; set; } = "";

    public decimal Total { get; set; }
}

[Rls("signed_docs", SharedRows = true)]
public sealed class SignedDoc
{
    public int Id { get; set; }

    public string? Tenant { get; set; }

    public string Title { get; set; } = "";
}

/// <summary>
/// A database whose two tables are installed by the real <see cref="PolicyInstaller"/>, signed unless asked otherwise,
/// and a plain Npgsql connection for the app login on which the tests set the token by hand, as the request path will.
/// </summary>
public sealed class SignedDatabase : IAsyncDisposable
{
    public const string Acme = "acme";
    public const string Globex = "globex";
    public const string Setting = TenantOptions.DefaultSettingName;

    /// <summary>The key the database is installed with (fixed, so failures are reproducible).</summary>
    public static readonly byte[] Key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    /// <summary>Another valid key, never installed unless a test installs it.</summary>
    public static readonly byte[] OtherKey = [.. Enumerable.Range(101, 40).Select(i => (byte)i)];

    private SignedDatabase(TestDatabase database, NpgsqlDataSource owner)
    {
        Database = database;
        Owner = owner;
    }

    public TestDatabase Database { get; }

    public NpgsqlDataSource Owner { get; }

    public string AppRole => Database.AppRole;

    /// <summary>acme owns orders 1–3 and doc 11, globex orders 4–5 and doc 12; doc 10 is shared (NULL tenant).</summary>
    public static async Task<SignedDatabase> CreateAsync(string prefix, bool useSignedContext = true)
    {
        var database = await TestServer.CreateDatabaseAsync(prefix);
        await database.ExecuteAsOwnerAsync("""
            create table signed_orders (tenant text not null, id int not null, total numeric(10,2) not null, primary key (tenant, id));
            create table signed_docs (tenant text, id int primary key, title text not null);
            create index on signed_docs (tenant);
            """);
        await database.ExecuteAsAdminAsync("""
            insert into signed_orders values ('acme', 1, 10), ('acme', 2, 20), ('acme', 3, 30), ('globex', 4, 40), ('globex', 5, 50);
            insert into signed_docs values (null, 10, 'shared'), ('acme', 11, 'acme doc'), ('globex', 12, 'globex doc');
            """);
        var result = new SignedDatabase(database, database.CreateOwnerDataSource());
        var installer = result.Installer();
        if (useSignedContext)
        {
            installer.UseSignedContext(Key);
        }

        await installer.ApplyAsync();
        return result;
    }

    /// <summary>An installer for both tables that grants the app login, without a key (add one with UseSignedContext).</summary>
    public PolicyInstaller Installer(TenantOptions? options = null) =>
        new PolicyInstaller(Owner, options).Add<SignedOrder>().Add<SignedDoc>().GrantTo(AppRole);

    internal static TenantTokenMinter Minter(byte[]? key = null, string keyId = "default", string setting = Setting, TimeProvider? time = null) =>
        new(key ?? Key, keyId, setting, TimeSpan.FromMinutes(5), time);

    /// <summary>A fresh, unpooled connection as the app login (neither superuser, BYPASSRLS nor owner).</summary>
    public async Task<NpgsqlConnection> OpenAppAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Database.AppConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Sets the tenant setting for the session, as injected SQL or a Session-scope context would.</summary>
    public static Task SetAsync(NpgsqlConnection connection, string value, string setting = Setting) =>
        connection.ExecuteAsync("select set_config(@setting, @value, false)", new { setting, value });

    public static async Task<int[]> OrderIdsAsync(NpgsqlConnection connection) =>
        [.. await connection.QueryAsync<int>("select id from signed_orders order by id")];

    public static async Task<int[]> DocIdsAsync(NpgsqlConnection connection) =>
        [.. await connection.QueryAsync<int>("select id from signed_docs order by id")];

    public static Task<string?> VerifiedAsync(NpgsqlConnection connection, string setting = Setting) =>
        connection.ExecuteScalarAsync<string?>("select dapper_tenants.tenant_of(@setting)", new { setting });

    public async ValueTask DisposeAsync()
    {
        await Owner.DisposeAsync();
        await Database.DisposeAsync();
    }
}
