using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace DapperTenants.Testing;

/// <summary>
/// A loopback TCP proxy in front of a PostgreSQL server that counts client-to-server round trips: each
/// <c>Sync</c> (extended protocol) and each simple <c>Query</c> message ends one. Connect with <c>SSL Mode=Disable</c>.
/// </summary>
/// <remarks>Only for tests: it parses the client's message stream to count, and forwards every byte unchanged.</remarks>
public sealed class RoundTripCounter : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly List<TcpClient> _clients = [];
    private readonly Task _acceptLoop;
    private long _roundTrips;
    private long _exchanges;

    /// <summary>Starts a proxy on a free loopback port that forwards to <paramref name="targetHost"/>:<paramref name="targetPort"/>.</summary>
    /// <param name="targetHost">The server's host.</param>
    /// <param name="targetPort">The server's port.</param>
    public RoundTripCounter(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptAsync();
    }

    /// <summary>The loopback port clients connect to.</summary>
    public int Port { get; }

    /// <summary>Round trips counted since the start or the last <see cref="Reset"/>.</summary>
    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    /// <summary>
    /// Network exchanges counted since the start or the last <see cref="Reset"/>: each time a client sends after the server
    /// answered it (or first). A pipelined batch with error barriers (several <c>Sync</c>s sent at once) is one exchange
    /// and several <see cref="RoundTrips"/>.
    /// </summary>
    public long Exchanges => Interlocked.Read(ref _exchanges);

    /// <summary>Sets the counts back to zero.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _roundTrips, 0);
        Interlocked.Exchange(ref _exchanges, 0);
    }

    /// <summary>Cuts every proxied connection at once, as a network failure or a crashed client would.</summary>
    public void DropConnections()
    {
        lock (_pumps)
        {
            foreach (var client in _clients)
            {
                // A pump that saw its side close has already disposed the pair (Client is then null).
                try
                {
                    if (client.Client is { } socket)
                    {
                        socket.LingerState = new LingerOption(true, 0);
                    }
                }
                catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
                {
                }

                client.Dispose();
            }

            _clients.Clear();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
            Task[] pumps;
            lock (_pumps)
            {
                pumps = [.. _pumps];
            }

            await Task.WhenAll(pumps).ConfigureAwait(false);
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
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var server = new TcpClient();
            await server.ConnectAsync(_targetHost, _targetPort, _stop.Token).ConfigureAwait(false);
            client.NoDelay = true;
            server.NoDelay = true;
            lock (_pumps)
            {
                _clients.Add(client);
                _clients.Add(server);
                var turn = new Turn();
                _pumps.Add(PumpClientAsync(client, server, turn));
                _pumps.Add(PumpAsync(server.GetStream(), client.GetStream(), turn));
            }
        }
    }

    private async Task PumpClientAsync(TcpClient client, TcpClient server, Turn turn)
    {
        var from = client.GetStream();
        var to = server.GetStream();
        var buffer = new byte[64 * 1024];
        var header = new byte[5];
        var headerFill = 0;
        long remaining = 0;
        var untyped = false;
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                if (turn.ServerSpoke)
                {
                    turn.ServerSpoke = false;
                    Interlocked.Increment(ref _exchanges);
                }

                // Walk the message framing to count Sync and Query messages.
                var i = 0;
                while (i < read)
                {
                    if (remaining > 0)
                    {
                        var take = (int)Math.Min(remaining, read - i);
                        remaining -= take;
                        i += take;
                        continue;
                    }

                    // Startup, SSL and GSS requests carry no type byte; their length's first byte is always 0, a type byte never is.
                    if (headerFill == 0)
                    {
                        untyped = buffer[i] == 0;
                    }

                    var headerSize = untyped ? 4 : 5;
                    header[headerFill++] = buffer[i++];
                    if (headerFill < headerSize)
                    {
                        continue;
                    }

                    var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(untyped ? 0 : 1, 4));
                    if (!untyped && (header[0] == (byte)'S' || header[0] == (byte)'Q'))
                    {
                        Interlocked.Increment(ref _roundTrips);
                    }

                    remaining = length - 4;
                    headerFill = 0;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
        {
        }
        finally
        {
            client.Dispose();
            server.Dispose();
        }
    }

    private async Task PumpAsync(Stream from, Stream to, Turn turn)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                turn.ServerSpoke = true;
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
        {
        }
        finally
        {
            to.Dispose();
        }
    }

    /// <summary>Whose turn it is on one proxied connection: a client read after the server spoke starts an exchange.</summary>
    private sealed class Turn
    {
        public volatile bool ServerSpoke = true;
    }
}
