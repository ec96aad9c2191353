using DapperTenants.AspNetCore.Tests.Support;

namespace DapperTenants.AspNetCore.Tests;

/// <summary>Runs once around every test of the assembly: stops the shared server at the end.</summary>
[SetUpFixture]
public sealed class TestRun
{
    [OneTimeTearDown]
    public Task StopServer() => SharedServer.StopAsync();
}
