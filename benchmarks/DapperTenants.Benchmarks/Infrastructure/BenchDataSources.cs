using Npgsql;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// Data sources for the benchmark database, each with its own pool, with or without Npgsql's automatic preparation.
/// </summary>
/// <remarks>
/// Every factory takes an optional <c>route</c> that rewrites the connection string: <c>breakdown</c> passes
/// <see cref="RoundTripProxy.Route"/> to count the round trips of the very same variants through a proxy.
/// </remarks>
public static class BenchDataSources
{
    /// <summary><c>Max Auto Prepare</c> when a benchmark's <c>AutoPrepare</c> parameter is on.</summary>
    public const int MaxAutoPrepare = 20;

    public static string OwnerConnectionString => BenchEnvironment.Require(BenchEnvironment.Owner);

    public static string AppConnectionString => BenchEnvironment.Require(BenchEnvironment.App);

    /// <summary>The table owner: the baseline's login (the plain tables have no RLS, so the role changes nothing there).</summary>
    public static NpgsqlDataSource Owner(bool autoPrepare, Func<string, string>? route = null) =>
        NpgsqlDataSource.Create(With(OwnerConnectionString, autoPrepare, route));

    /// <summary>The application login without a tenant: for the floor, the hand-written and the role-per-tenant recipes.</summary>
    public static NpgsqlDataSource App(bool autoPrepare, Func<string, string>? route = null) =>
        NpgsqlDataSource.Create(With(AppConnectionString, autoPrepare, route));

    /// <summary>The library, as an application would create it, as the application login.</summary>
    public static TenantDataSource Tenants(bool autoPrepare, TenantContextScope scope = TenantContextScope.Transaction, Func<string, string>? route = null) =>
        TenantDataSource.Create(With(AppConnectionString, autoPrepare, route), options => options.ContextScope = scope);

    /// <summary>The library with the signed context (<see cref="SignedBench"/>): its key, key id and setting.</summary>
    public static TenantDataSource SignedTenants(bool autoPrepare, TenantContextScope scope = TenantContextScope.Transaction, Func<string, string>? route = null) =>
        TenantDataSource.Create(With(AppConnectionString, autoPrepare, route), options => SignedBench.Configure(options, scope));

    /// <summary>The library in strict mode (<see cref="StrictBench"/>): only registered, active tenants open.</summary>
    public static TenantDataSource StrictTenants(bool autoPrepare, TenantContextScope scope = TenantContextScope.Transaction, Func<string, string>? route = null) =>
        TenantDataSource.Create(With(AppConnectionString, autoPrepare, route), options => StrictBench.Configure(options, scope));

    public static string With(string connectionString, bool autoPrepare, Func<string, string>? route = null)
    {
        var result = new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = autoPrepare ? MaxAutoPrepare : 0 }.ConnectionString;
        return route is null ? result : route(result);
    }
}
