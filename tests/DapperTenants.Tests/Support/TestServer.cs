using DapperTenants.Testing;

namespace DapperTenants.Tests.Support;

/// <summary>One PostgreSQL server for the whole run; each fixture creates its own database on it.</summary>
/// <remarks>Stopped by <see cref="TestRun"/> after the last test.</remarks>
public static class TestServer
{
    private static PostgresServer? _server;
    private static Exception? _failure;
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>The server, started on first use. A missing server fails the test, never skips it.</summary>
    public static async Task<PostgresServer> GetAsync()
    {
        await Gate.WaitAsync();
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
                    _server = await PostgresServer.StartAsync();
                    await using var admin = new Npgsql.NpgsqlConnection(_server.AdminConnectionString);
                    await admin.OpenAsync();
                    var version = await admin.ExecuteScalarAsync<string>("select version()");
                    await TestContext.Progress.WriteLineAsync($"PostgreSQL for tests: {_server.Description}: {version}");
                }
                catch (Exception ex)
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

    public static async Task<TestDatabase> CreateDatabaseAsync(string prefix) => await (await GetAsync()).CreateDatabaseAsync(prefix);

    public static async Task StopAsync()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        if (_server is not null)
        {
            await _server.DisposeAsync();
            _server = null;
        }
    }
}
