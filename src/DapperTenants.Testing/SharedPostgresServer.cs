using Npgsql;

namespace DapperTenants.Testing;

/// <summary>
/// One <see cref="PostgresServer"/> for a whole test run, started on first use and shared by every fixture (and by
/// several test projects' fixtures alike): each fixture creates its own <see cref="TestDatabase"/> on it.
/// </summary>
/// <remarks>
/// A server that fails to start fails every later call with the same cause, never a skip. Call
/// <see cref="StopAsync"/> once after the last test (an NUnit <c>[SetUpFixture]</c>'s <c>[OneTimeTearDown]</c>, an
/// xUnit assembly fixture's dispose).
/// </remarks>
public static class SharedPostgresServer
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static PostgresServer? _server;
    private static Exception? _failure;

    /// <summary>The server, started on first use.</summary>
    /// <param name="started">Called once with a line that says which server runs and its version, for the test log.</param>
    /// <param name="cancellationToken">Cancels starting the server.</param>
    /// <returns>The shared server.</returns>
    /// <exception cref="InvalidOperationException">The server could not be started (now or on an earlier call).</exception>
    public static async Task<PostgresServer> GetAsync(Func<string, Task>? started = null, CancellationToken cancellationToken = default)
    {
        await Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_failure is not null)
            {
                throw new InvalidOperationException("The test PostgreSQL server could not be started: " + _failure.Message, _failure);
            }

            if (_server is null)
            {
                try
                {
                    _server = await PostgresServer.StartAsync(cancellationToken).ConfigureAwait(false);
                    var admin = new NpgsqlConnection(_server.AdminConnectionString);
                    await using (admin.ConfigureAwait(false))
                    {
                        await admin.OpenAsync(cancellationToken).ConfigureAwait(false);
                        var command = new NpgsqlCommand("select version()", admin);
                        await using (command.ConfigureAwait(false))
                        {
                            var version = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                            if (started is not null)
                            {
                                await started($"PostgreSQL for tests: {_server.Description}: {version}").ConfigureAwait(false);
                            }
                        }
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _failure = ex;
                    throw;
                }
            }

            return _server;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Creates a database with an owner role and an app login on the shared server.</summary>
    /// <param name="prefix">The start of the database's and roles' names.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The database; dispose it to drop it and its roles.</returns>
    public static async Task<TestDatabase> CreateDatabaseAsync(string prefix, CancellationToken cancellationToken = default) =>
        await (await GetAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).CreateDatabaseAsync(prefix, cancellationToken).ConfigureAwait(false);

    /// <summary>Stops the shared server, if it started. The next <see cref="GetAsync"/> starts a new one.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public static async Task StopAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_server is not null)
            {
                await _server.DisposeAsync().ConfigureAwait(false);
                _server = null;
            }
        }
        finally
        {
            Gate.Release();
        }
    }
}
