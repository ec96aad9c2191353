using System.Security.Cryptography;
using Npgsql;

namespace DapperTenants.Testing;

/// <summary>
/// A database of its own with two roles: an owner, which owns the schema and the tables, and an application login
/// (<c>NOSUPERUSER NOBYPASSRLS</c>, owner of nothing), the only kind of login Row-Level Security applies to.
/// Disposing it drops the database and both roles.
/// </summary>
/// <remarks>
/// The application login gets <c>USAGE</c> on schema <c>public</c> and, through default privileges, <c>SELECT, INSERT,
/// UPDATE, DELETE</c> on the owner's future tables there, <c>USAGE, SELECT</c> on its sequences and <c>EXECUTE</c> on
/// its routines. Other schemas grant nothing by default.
/// </remarks>
public sealed class TestDatabase : IAsyncDisposable
{
    private int _disposed;

    private TestDatabase(PostgresServer server, string name, string ownerRole, string appRole, string password)
    {
        Server = server;
        Name = name;
        OwnerRole = ownerRole;
        AppRole = appRole;
        Password = password;
    }

    /// <summary>The server the database lives on.</summary>
    public PostgresServer Server { get; }

    /// <summary>The database name.</summary>
    public string Name { get; }

    /// <summary>The role that owns the database, the schema <c>public</c> and the tables the tests create.</summary>
    public string OwnerRole { get; }

    /// <summary>The application login: not a superuser, no <c>BYPASSRLS</c>, owns nothing.</summary>
    public string AppRole { get; }

    /// <summary>The password of both roles.</summary>
    public string Password { get; }

    /// <summary>A superuser connection string to this database.</summary>
    public string AdminConnectionString => With(Server.AdminConnectionString, null, null);

    /// <summary>A connection string for <see cref="OwnerRole"/>.</summary>
    public string OwnerConnectionString => With(Server.AdminConnectionString, OwnerRole, Password);

    /// <summary>A connection string for <see cref="AppRole"/>.</summary>
    public string AppConnectionString => With(Server.AdminConnectionString, AppRole, Password);

    internal static async Task<TestDatabase> CreateAsync(PostgresServer server, string prefix, CancellationToken cancellationToken)
    {
        var suffix = Convert.ToHexString(RandomNumberGenerator.GetBytes(5)).ToLowerInvariant();
        var safePrefix = new string(prefix.ToLowerInvariant().Where(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_').Take(30).ToArray());
        var database = new TestDatabase(server, $"{safePrefix}_{suffix}", $"{safePrefix}_owner_{suffix}", $"{safePrefix}_app_{suffix}",
            Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant());

        await ExecuteAsync(server.AdminConnectionString, $"""
            CREATE ROLE "{database.OwnerRole}" LOGIN PASSWORD '{database.Password}' NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB;
            CREATE ROLE "{database.AppRole}" LOGIN PASSWORD '{database.Password}' NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB NOINHERIT;
            """, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(server.AdminConnectionString, $"""CREATE DATABASE "{database.Name}" OWNER "{database.OwnerRole}" """, cancellationToken)
            .ConfigureAwait(false);
        await ExecuteAsync(database.AdminConnectionString, $"""
            ALTER SCHEMA public OWNER TO "{database.OwnerRole}";
            REVOKE ALL ON DATABASE "{database.Name}" FROM PUBLIC;
            GRANT CONNECT, TEMPORARY ON DATABASE "{database.Name}" TO "{database.AppRole}";
            GRANT USAGE ON SCHEMA public TO "{database.AppRole}";
            ALTER DEFAULT PRIVILEGES FOR ROLE "{database.OwnerRole}" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{database.AppRole}";
            ALTER DEFAULT PRIVILEGES FOR ROLE "{database.OwnerRole}" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "{database.AppRole}";
            ALTER DEFAULT PRIVILEGES FOR ROLE "{database.OwnerRole}" IN SCHEMA public GRANT EXECUTE ON ROUTINES TO "{database.AppRole}";
            """, cancellationToken).ConfigureAwait(false);
        return database;
    }

    /// <summary>Creates a data source for the owner role.</summary>
    /// <param name="configure">Changes the connection string first (pool size, auto-prepare …).</param>
    /// <returns>A data source the caller disposes.</returns>
    public NpgsqlDataSource CreateOwnerDataSource(Action<NpgsqlConnectionStringBuilder>? configure = null) =>
        NpgsqlDataSource.Create(Configure(OwnerConnectionString, configure));

    /// <summary>Creates a plain data source for the application login (no tenant).</summary>
    /// <param name="configure">Changes the connection string first.</param>
    /// <returns>A data source the caller disposes.</returns>
    public NpgsqlDataSource CreateAppDataSource(Action<NpgsqlConnectionStringBuilder>? configure = null) =>
        NpgsqlDataSource.Create(Configure(AppConnectionString, configure));

    /// <summary>Creates a tenant data source for the application login.</summary>
    /// <param name="configureConnection">Changes the connection string first.</param>
    /// <param name="configureOptions">Sets tenant options.</param>
    /// <returns>A tenant data source the caller disposes.</returns>
    public TenantDataSource CreateTenantDataSource(Action<NpgsqlConnectionStringBuilder>? configureConnection = null, Action<TenantOptions>? configureOptions = null) =>
        TenantDataSource.Create(Configure(AppConnectionString, configureConnection), configureOptions);

    /// <summary>Runs SQL as the owner.</summary>
    /// <param name="sql">One or more statements.</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns>A task that completes when the SQL has run.</returns>
    public Task ExecuteAsOwnerAsync(string sql, CancellationToken cancellationToken = default) => ExecuteAsync(OwnerConnectionString, sql, cancellationToken);

    /// <summary>Runs SQL as a superuser in this database.</summary>
    /// <param name="sql">One or more statements.</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns>A task that completes when the SQL has run.</returns>
    public Task ExecuteAsAdminAsync(string sql, CancellationToken cancellationToken = default) => ExecuteAsync(AdminConnectionString, sql, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await ExecuteAsync(Server.AdminConnectionString, $"""DROP DATABASE IF EXISTS "{Name}" WITH (FORCE)""", CancellationToken.None).ConfigureAwait(false);
            await ExecuteAsync(Server.AdminConnectionString, $"""DROP ROLE IF EXISTS "{OwnerRole}", "{AppRole}" """, CancellationToken.None).ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            // The server may already be gone (a fault test, or the end of the run); nothing is left to clean.
        }
    }

    private string With(string adminConnectionString, string? user, string? password)
    {
        var builder = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = Name, Pooling = true };
        if (user is not null)
        {
            builder.Username = user;
            builder.Password = password;
        }

        return builder.ConnectionString;
    }

    private static string Configure(string connectionString, Action<NpgsqlConnectionStringBuilder>? configure)
    {
        if (configure is null)
        {
            return connectionString;
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        configure(builder);
        return builder.ConnectionString;
    }

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var command = new NpgsqlCommand(sql, connection);
            await using (command.ConfigureAwait(false))
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
