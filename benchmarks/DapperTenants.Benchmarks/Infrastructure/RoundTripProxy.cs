using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of the benchmark server that counts round trips the way latency sees them: a client
/// write that follows a server response (or opens the conversation) starts one. Writes the client pipelines without
/// waiting (Npgsql's pooled-connection reset, a deferred <c>BEGIN</c>, the statements of one batch) share a round trip.
/// </summary>
/// <remarks>
/// Used by <c>breakdown</c> to count each variant's round trips per operation in a short separate pass, never in the
/// timed one (the proxy adds its own latency). Forwards every byte unchanged, in both directions.
/// </remarks>
internal sealed class RoundTripProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly Task _acceptLoop;
    private long _roundTrips;

    private RoundTripProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>Round trips since the start or the last <see cref="Reset"/>, over every proxied connection.</summary>
    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    /// <summary>A proxy in front of the server that <paramref name="connectionString"/> names.</summary>
    public static RoundTripProxy For(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var host = builder.Host ?? "127.0.0.1";
        if (host.Contains(',', StringComparison.Ordinal) || host.StartsWith('/'))
        {
            throw new InvalidOperationException($"The round-trip count needs one TCP host in the connection string, not '{host}'.");
        }

        return new RoundTripProxy(host, builder.Port);
    }

    /// <summary><paramref name="connectionString"/>, pointed at this proxy (TLS off: the proxy reads nothing, but TLS would hide nothing either).</summary>
    public string Route(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString)
    {
        Host = "127.0.0.1",
        Port = Port,
        SslMode = SslMode.Disable,
        Multiplexing = false,
    }.ConnectionString;

    public void Reset() => Interlocked.Exchange(ref _roundTrips, 0);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
            Task[] pumps;
            lock (_pumps)
            {
                pumps = [.. _pumps];
            }

            await Task.WhenAll(pumps);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var server = new TcpClient { NoDelay = true };
            await server.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            client.NoDelay = true;
            var turn = new Turn();
            lock (_pumps)
            {
                _pumps.Add(PumpAsync(client, server, turn, fromClient: true));
                _pumps.Add(PumpAsync(server, client, turn, fromClient: false));
            }
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, Turn turn, bool fromClient)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            var input = from.GetStream();
            var output = to.GetStream();
            while (true)
            {
                var read = await input.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                // A client write after the server had the word starts a round trip; the server's bytes hand it back.
                if (fromClient && Interlocked.Exchange(ref turn.ClientSpeaks, 1) == 0)
                {
                    Interlocked.Increment(ref _roundTrips);
                }
                else if (!fromClient)
                {
                    Volatile.Write(ref turn.ClientSpeaks, 0);
                }

                await output.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
        {
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }

    /// <summary>Who spoke last on one proxied connection.</summary>
    private sealed class Turn
    {
        public int ClientSpeaks;
    }
}
