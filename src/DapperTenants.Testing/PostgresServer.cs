using Npgsql;

namespace DapperTenants.Testing;

/// <summary>
/// A PostgreSQL server for tests, benchmarks and demos, found in this order: the connection string in
/// <c>DAPPER_TENANTS_TEST_CONNECTION</c>, a throwaway cluster from the binaries in <c>DAPPER_TENANTS_PG_BIN</c>, a
/// Testcontainers container when a Docker engine answers, or a throwaway cluster from the PostgreSQL server binaries
/// on this machine.
/// </summary>
public abstract class PostgresServer : IAsyncDisposable
{
    /// <summary>The environment variable that names an existing server (an administrative login).</summary>
    public const string ConnectionVariable = "DAPPER_TENANTS_TEST_CONNECTION";

    /// <summary>
    /// The environment variable that names the folder of the server binaries (<c>initdb</c>, <c>pg_ctl</c>,
    /// <c>postgres</c>) a local cluster is started from, for example another major version than the machine's.
    /// </summary>
    public const string BinariesVariable = "DAPPER_TENANTS_PG_BIN";

    /// <summary>An administrative (superuser) connection string to the server's maintenance database.</summary>
    public abstract string AdminConnectionString { get; }

    /// <summary>Where the server came from, for test output.</summary>
    public abstract string Description { get; }

    /// <summary>The server's host, as clients reach it.</summary>
    public string Host => new NpgsqlConnectionStringBuilder(AdminConnectionString).Host ?? "127.0.0.1";

    /// <summary>The server's port, as clients reach it.</summary>
    public int Port => new NpgsqlConnectionStringBuilder(AdminConnectionString).Port;

    /// <summary>Whether <see cref="StopAsync"/> and <see cref="StartAgainAsync"/> can restart the server (only a local cluster).</summary>
    public virtual bool CanRestart => false;

    /// <summary>Finds or starts a server, trying each source in turn.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A running server; dispose it to remove what was started.</returns>
    /// <exception cref="InvalidOperationException">No source works; the message names all three.</exception>
    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var reasons = new List<string>();
        var fromEnvironment = Environment.GetEnvironmentVariable(ConnectionVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return new ExistingServer(fromEnvironment, $"the server in {ConnectionVariable}");
        }

        reasons.Add($"1. {ConnectionVariable} is not set");

        // Binaries chosen by name win over a container: whoever sets the variable wants that server version.
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(BinariesVariable)))
        {
            var chosen = await LocalCluster.TryStartAsync(cancellationToken).ConfigureAwait(false);
            return chosen.Server ?? throw new InvalidOperationException($"The PostgreSQL binaries in {BinariesVariable} did not start a cluster: {chosen.Reason}.");
        }

        var docker = await ContainerServer.TryStartAsync(cancellationToken).ConfigureAwait(false);
        if (docker.Server is not null)
        {
            return docker.Server;
        }

        reasons.Add("2. Testcontainers: " + docker.Reason);

        var local = await LocalCluster.TryStartAsync(cancellationToken).ConfigureAwait(false);
        if (local.Server is not null)
        {
            return local.Server;
        }

        reasons.Add("3. local PostgreSQL binaries: " + local.Reason);
        throw new InvalidOperationException(
            "No PostgreSQL server is available for the tests. Tried:" + Environment.NewLine + string.Join(Environment.NewLine, reasons)
            + Environment.NewLine + $"Fix one of them: set {ConnectionVariable} to a superuser connection string, start a Docker engine, "
            + "or install the PostgreSQL server (apt-get install postgresql).");
    }

    /// <summary>
    /// Starts a dedicated throwaway cluster from the local PostgreSQL binaries, whatever else is configured: for tests
    /// that stop and restart the server.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A running cluster that <see cref="CanRestart"/>.</returns>
    /// <exception cref="InvalidOperationException">The PostgreSQL server binaries are not installed.</exception>
    public static async Task<PostgresServer> StartLocalClusterAsync(CancellationToken cancellationToken = default)
    {
        var local = await LocalCluster.TryStartAsync(cancellationToken).ConfigureAwait(false);
        return local.Server ?? throw new InvalidOperationException(
            "A local PostgreSQL cluster could not be started: " + local.Reason + ". Install the server with 'apt-get install postgresql'.");
    }

    /// <summary>Uses a server that is already running; disposing it leaves the server alone.</summary>
    /// <param name="adminConnectionString">A superuser connection string to the server's maintenance database.</param>
    /// <returns>The server.</returns>
    public static PostgresServer FromConnectionString(string adminConnectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(adminConnectionString);
        return new ExistingServer(adminConnectionString, "the server of the given connection string");
    }

    /// <summary>Creates a database with its own owner role and application login; dispose it to drop all three.</summary>
    /// <param name="prefix">A readable prefix for the database and role names.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The new database.</returns>
    public Task<TestDatabase> CreateDatabaseAsync(string prefix = "dt", CancellationToken cancellationToken = default) =>
        TestDatabase.CreateAsync(this, prefix, cancellationToken);

    /// <summary>Stops the server (a local cluster only), for fault tests.</summary>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>A task that completes when the server is down.</returns>
    public virtual Task StopAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{Description} cannot be stopped by the tests.");

    /// <summary>Starts the server again after <see cref="StopAsync"/>.</summary>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>A task that completes when the server accepts connections.</returns>
    public virtual Task StartAgainAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{Description} cannot be restarted by the tests.");

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    private sealed class ExistingServer(string connectionString, string description) : PostgresServer
    {
        public override string AdminConnectionString { get; } = connectionString;

        public override string Description { get; } = description;
    }
}
