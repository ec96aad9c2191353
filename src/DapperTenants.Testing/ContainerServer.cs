using System.Net.Sockets;
using Testcontainers.PostgreSql;

namespace DapperTenants.Testing;

/// <summary>A PostgreSQL container started through Testcontainers.</summary>
internal sealed class ContainerServer : PostgresServer
{
    private readonly PostgreSqlContainer _container;

    private ContainerServer(PostgreSqlContainer container)
    {
        _container = container;
    }

    public override string AdminConnectionString => _container.GetConnectionString();

    public override string Description => "a Testcontainers PostgreSQL container";

    public static async Task<(PostgresServer? Server, string Reason)> TryStartAsync(CancellationToken cancellationToken)
    {
        if (!await DockerAnswersAsync(cancellationToken).ConfigureAwait(false))
        {
            return (null, "no Docker engine answers (DOCKER_HOST is unset and /var/run/docker.sock does not accept connections)");
        }

        var container = new PostgreSqlBuilder("postgres:15-alpine")
            .WithCommand("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "max_connections=300")
            .Build();
        try
        {
            await container.StartAsync(cancellationToken).ConfigureAwait(false);
            return (new ContainerServer(container), string.Empty);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await container.DisposeAsync().ConfigureAwait(false);
            return (null, "the container did not start: " + ex.Message);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await _container.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task<bool> DockerAnswersAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST")))
        {
            return true;
        }

        const string socketPath = "/var/run/docker.sock";
        if (!File.Exists(socketPath))
        {
            return false;
        }

        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return false;
        }
    }
}
