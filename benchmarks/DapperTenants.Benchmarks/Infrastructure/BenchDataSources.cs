using Npgsql;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// Data sources for the benchmark database, each with its own pool, with or without Npgsql's automatic preparation.
/// </summary>
public static class BenchDataSources
{
    /// <summary><c>Max Auto Prepare</c> when a benchmark's <c>AutoPrepare</c> parameter is on.</summary>
    public const int MaxAutoPrepare = 20;

    public static string OwnerConnectionString => BenchEnvironment.Require(BenchEnvironment.Owner);

    public static string AppConnectionString => BenchEnvironment.Require(BenchEnvironment.App);

    /// <summary>The table owner: the baseline's login (the plain tables have no RLS, so the role changes nothing there).</summary>
    public static NpgsqlDataSource Owner(bool autoPrepare) => NpgsqlDataSource.Create(With(OwnerConnectionString, autoPrepare));

    /// <summary>The application login without a tenant: for the hand-written and role-per-tenant recipes.</summary>
    public static NpgsqlDataSource App(bool autoPrepare) => NpgsqlDataSource.Create(With(AppConnectionString, autoPrepare));

    /// <summary>The library, as an application would create it, as the application login.</summary>
    public static TenantDataSource Tenants(bool autoPrepare, TenantContextScope scope = TenantContextScope.Transaction) =>
        TenantDataSource.Create(With(AppConnectionString, autoPrepare), options => options.ContextScope = scope);

    public static string With(string connectionString, bool autoPrepare) =>
        new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = autoPrepare ? MaxAutoPrepare : 0 }.ConnectionString;
}
