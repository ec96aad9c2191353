using DapperTenants.Testing;

namespace DapperTenants.AspNetCore.Tests.Support;

/// <summary>One PostgreSQL server for the whole run; each fixture creates its own database on it.</summary>
public static class SharedServer
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
                    await TestContext.Progress.WriteLineAsync($"PostgreSQL for tests: {_server.Description}");
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
