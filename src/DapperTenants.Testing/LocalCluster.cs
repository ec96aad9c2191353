using System.Security.Cryptography;
using Npgsql;

namespace DapperTenants.Testing;

/// <summary>
/// A throwaway cluster from the PostgreSQL server binaries on this machine, in a temporary folder, on a free
/// loopback port. PostgreSQL refuses to run as root, so under root the cluster runs as the <c>postgres</c> OS user.
/// The binaries are those in <see cref="PostgresServer.BinariesVariable"/> when it is set (another major version, for
/// example), else the first <c>initdb</c> and <c>pg_ctl</c> on <c>PATH</c>, else the newest under <c>/usr/lib/postgresql</c>.
/// </summary>
internal sealed class LocalCluster : PostgresServer
{
    private readonly string _binDirectory;
    private readonly string _root;
    private readonly string? _runAs;
    private readonly int _port;
    private readonly string _password;

    private LocalCluster(string binDirectory, string root, string? runAs, int port, string password)
    {
        _binDirectory = binDirectory;
        _root = root;
        _runAs = runAs;
        _port = port;
        _password = password;

        // A test run that ends without disposing its server (a crash, a forgotten dispose) must not leave it running.
        AppDomain.CurrentDomain.ProcessExit += StopOnExit;
    }

    public override string AdminConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = _port,
        Username = "postgres",
        Password = _password,
        Database = "postgres",
        Pooling = false,
    }.ConnectionString;

    public override string Description => $"a local PostgreSQL cluster in {DataDirectory} on port {_port}";

    public override bool CanRestart => true;

    private string DataDirectory => Path.Combine(_root, "data");

    /// <summary>The folder of the server binaries this cluster runs (also holds <c>pg_basebackup</c>), for a standby.</summary>
    internal string BinDirectory => _binDirectory;

    /// <summary>The OS user the server runs as, or <see langword="null"/> for this process's user.</summary>
    internal string? RunAs => _runAs;

    /// <summary>The password of the <c>postgres</c> superuser, which may also connect for replication from 127.0.0.1.</summary>
    internal string SuperuserPassword => _password;

    public static async Task<(PostgresServer? Server, string Reason)> TryStartAsync(CancellationToken cancellationToken)
    {
        var chosen = Environment.GetEnvironmentVariable(BinariesVariable);
        if (!string.IsNullOrWhiteSpace(chosen) && !HasServerBinaries(chosen))
        {
            return (null, $"{BinariesVariable} is {chosen}, which holds no initdb and pg_ctl");
        }

        var bin = string.IsNullOrWhiteSpace(chosen) ? FindBinaries() : Path.GetFullPath(chosen);
        if (bin is null)
        {
            return (null, $"{BinariesVariable} is not set, and initdb and pg_ctl are neither on PATH nor under /usr/lib/postgresql/<version>/bin");
        }

        if (!ServerProcess.TryGetRunAs(out var runAs))
        {
            return (null, "this process runs as root, which PostgreSQL refuses, and there is no 'postgres' or 'nobody' OS user to run it as");
        }

        var root = Path.Combine(Path.GetTempPath(), "dapper-tenants-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
        var passwordFile = Path.Combine(root, "pwfile");
        await File.WriteAllTextAsync(passwordFile, password + "\n", cancellationToken).ConfigureAwait(false);
        try
        {
            if (runAs is not null)
            {
                await ServerProcess.RunAsync("chown", ["-R", runAs, root], null, cancellationToken).ConfigureAwait(false);
            }

            var data = Path.Combine(root, "data");
            await ServerProcess.RunAsync(Path.Combine(bin, "initdb"),
                ["-D", data, "-U", "postgres", "-E", "UTF8", "--no-locale", "--auth-host=scram-sha-256", "--auth-local=trust", "--pwfile=" + passwordFile],
                runAs, cancellationToken).ConfigureAwait(false);
            File.Delete(passwordFile);

            string? lastError = null;
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var cluster = new LocalCluster(bin, root, runAs, ServerProcess.FreePort(), password);
                try
                {
                    await cluster.StartAgainAsync(cancellationToken).ConfigureAwait(false);
                    return (cluster, string.Empty);
                }
                catch (InvalidOperationException ex)
                {
                    lastError = ex.Message;
                }
            }

            throw new InvalidOperationException(lastError);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            TryDelete(root);
            return (null, "the cluster did not start: " + ex.Message);
        }
    }

    public override async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        var options = string.Join(' ',
            "-p", _port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-h", "127.0.0.1",
            "-k", _root,
            "-c", "fsync=off",
            "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off",
            "-c", "max_connections=300",
            "-c", "shared_buffers=256MB");
        await ServerProcess.RunAsync(Path.Combine(_binDirectory, "pg_ctl"),
            ["-D", DataDirectory, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60", "-o", options, "start"],
            _runAs, cancellationToken).ConfigureAwait(false);
    }

    public override Task StopAsync(CancellationToken cancellationToken = default) =>
        ServerProcess.RunAsync(Path.Combine(_binDirectory, "pg_ctl"), ["-D", DataDirectory, "-m", "fast", "-w", "stop"], _runAs, cancellationToken);

    public override async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= StopOnExit;
        try
        {
            await ServerProcess.RunAsync(Path.Combine(_binDirectory, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], _runAs, CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Already stopped: nothing to do but remove the folder.
        }

        TryDelete(_root);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void StopOnExit(object? sender, EventArgs e)
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(ServerProcess.StartInfo(
                Path.Combine(_binDirectory, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], _runAs));
            process?.WaitForExit(10_000);
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }

        TryDelete(_root);
    }

    private static bool HasServerBinaries(string dir) => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));

    private static string? FindBinaries()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var initdb = Path.Combine(dir, "initdb");
            if (File.Exists(initdb) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                // Debian links initdb into PATH; the server binaries live beside the link's target.
                var target = new FileInfo(initdb).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? initdb;
                return Path.GetDirectoryName(target);
            }
        }

        const string debian = "/usr/lib/postgresql";
        if (!Directory.Exists(debian))
        {
            return null;
        }

        return Directory.GetDirectories(debian)
            .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
            .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")))
            .OrderByDescending(d => d.Version)
            .Select(d => d.Dir)
            .FirstOrDefault();
    }

    private static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
