using DapperTenants.Tests.Support;

namespace DapperTenants.Cli.Tests;

/// <summary>Runs once around every test of the assembly (it sits in the root namespace): stops the shared server at the end.</summary>
[SetUpFixture]
public sealed class TestRun
{
    [OneTimeTearDown]
    public Task StopServer() => TestServer.StopAsync();
}
