namespace DapperTenants.Tests.Support;

/// <summary>Each connection fixture runs twice: once through Dapper's synchronous API, once through its async one.</summary>
public enum SyncOrAsync
{
    Sync,
    Async,
}
