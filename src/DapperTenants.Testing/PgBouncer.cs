using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace DapperTenants.Testing;

/// <summary>
/// A throwaway PgBouncer in front of a test database, on a free loopback port, in transaction pooling mode by default.
/// Disposing it stops the process and removes its folder.
/// </summary>
public sealed class PgBouncer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _root;

    private PgBouncer(Process process, string root, int port, TestDatabase database)
    {
        _process = process;
        _root = root;
        Port = port;
        Database = database;
    }

    /// <summary>The loopback port clients connect to.</summary>
    public int Port { get; }

    /// <summary>The database behind the pooler.</summary>
    public TestDatabase Database { get; }

    /// <summary>
    /// A connection string for the application login through the pooler, with the settings Npgsql needs behind PgBouncer
    /// 1.18 in transaction mode (no reset on close, no prepared statements).
    /// </summary>
    public string AppConnectionString => Through(Database.AppConnectionString);

    /// <summary>Finds the PgBouncer program: on <c>PATH</c> or at <c>/usr/sbin/pgbouncer</c>.</summary>
    /// <returns>The path, or <see langword="null"/> when PgBouncer is not installed.</returns>
    public static string? Find()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin"))
        {
            var candidate = Path.Combine(dir, "pgbouncer");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Starts PgBouncer in front of <paramref name="database"/>.</summary>
    /// <param name="database">The database; both of its roles can log in through the pooler.</param>
    /// <param name="poolSize">Server connections per database and user (<c>default_pool_size</c>).</param>
    /// <param name="poolMode"><c>transaction</c> (default), <c>session</c> or <c>statement</c>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running pooler.</returns>
    /// <exception cref="InvalidOperationException">PgBouncer is not installed (<c>apt-get install pgbouncer</c>) or did not start.</exception>
    public static async Task<PgBouncer> StartAsync(TestDatabase database, int poolSize = 4, string poolMode = "transaction", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        var program = Find() ?? throw new InvalidOperationException("PgBouncer is not installed. Install it with 'apt-get install pgbouncer'.");
        if (!ServerProcess.TryGetRunAs(out var runAs))
        {
            throw new InvalidOperationException("PgBouncer refuses to run as root and there is no 'postgres' or 'nobody' OS user to run it as.");
        }

        var root = Path.Combine(Path.GetTempPath(), "dapper-tenants-pgbouncer-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var port = ServerProcess.FreePort();
        var server = new NpgsqlConnectionStringBuilder(database.Server.AdminConnectionString);
        var config = Path.Combine(root, "pgbouncer.ini");
        var users = Path.Combine(root, "users.txt");
        await File.WriteAllTextAsync(users, string.Join('\n',
            $"\"{database.OwnerRole}\" \"{database.Password}\"",
            $"\"{database.AppRole}\" \"{database.Password}\""), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(config, string.Join('\n',
            "[databases]",
            $"{database.Name} = host={server.Host} port={server.Port.ToString(CultureInfo.InvariantCulture)} dbname={database.Name}",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            $"listen_port = {port.ToString(CultureInfo.InvariantCulture)}",
            "unix_socket_dir =",
            "auth_type = plain",
            $"auth_file = {users}",
            $"pool_mode = {poolMode}",
            $"default_pool_size = {poolSize.ToString(CultureInfo.InvariantCulture)}",
            "max_client_conn = 500",
            "ignore_startup_parameters = extra_float_digits,options,search_path",
            "server_reset_query =",
            $"logfile = {Path.Combine(root, "pgbouncer.log")}",
            ""), cancellationToken).ConfigureAwait(false);
        if (runAs is not null)
        {
            await ServerProcess.RunAsync("chown", ["-R", runAs, root], null, cancellationToken).ConfigureAwait(false);
        }

        var process = Process.Start(ServerProcess.StartInfo(program, [config], runAs))
            ?? throw new InvalidOperationException("PgBouncer could not be started.");
        // PgBouncer logs to its file; drain its console output so it can never block on a full pipe.
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ServerProcess.WaitForPortAsync(port, TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            var log = Path.Combine(root, "pgbouncer.log");
            throw new InvalidOperationException("PgBouncer did not start: " + (File.Exists(log) ? await File.ReadAllTextAsync(log, cancellationToken).ConfigureAwait(false) : "no log"));
        }

        return new PgBouncer(process, root, port, database);
    }

    /// <summary>Rewrites a connection string of <see cref="Database"/> to go through the pooler.</summary>
    /// <param name="connectionString">A connection string for one of the database's roles.</param>
    /// <returns>The same login through PgBouncer, with reset-on-close and auto-prepare off.</returns>
    public string Through(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString)
    {
        Host = "127.0.0.1",
        Port = Port,
        NoResetOnClose = true,
        MaxAutoPrepare = 0,
        SslMode = SslMode.Disable,
    }.ConnectionString;

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }
}
