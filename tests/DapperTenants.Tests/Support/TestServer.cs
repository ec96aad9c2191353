using DapperTenants.Testing;

namespace DapperTenants.Tests.Support;

/// <summary>One PostgreSQL server for the whole run (the test kit's <see cref="SharedPostgresServer"/>); each fixture creates its own database on it.</summary>
/// <remarks>Stopped by <see cref="TestRun"/> after the last test. A missing server fails the test, never skips it.</remarks>
public static class TestServer
{
    public static Task<PostgresServer> GetAsync() => SharedPostgresServer.GetAsync(line => TestContext.Progress.WriteLineAsync(line));

    public static async Task<TestDatabase> CreateDatabaseAsync(string prefix) => await (await GetAsync()).CreateDatabaseAsync(prefix);

    public static Task StopAsync() => SharedPostgresServer.StopAsync();
}
