namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// The environment variables that carry the shared database (and the run's sizes) from <see cref="Program"/> to the benchmark processes
/// (BenchmarkDotNet runs every benchmark case in a process of its own, which inherits the parent's environment).
/// </summary>
/// <remarks>
/// Set all three before a run to benchmark an existing, already prepared database instead of a throwaway server:
/// the seeder then checks what is there and only fills in what is missing.
/// </remarks>
internal static class BenchEnvironment
{
    /// <summary>A superuser connection string to the benchmark database (creates the role-per-tenant roles).</summary>
    public const string Admin = "DAPPER_TENANTS_BENCH_ADMIN";

    /// <summary>A connection string for the role that owns the tables (the baseline connects as it).</summary>
    public const string Owner = "DAPPER_TENANTS_BENCH_OWNER";

    /// <summary>A connection string for the application login: NOSUPERUSER NOBYPASSRLS, owns nothing.</summary>
    public const string App = "DAPPER_TENANTS_BENCH_APP";

    /// <summary>How many tables scenario 5 (<c>InstallerCost</c>) creates and secures; set from <c>--installer-tables</c>.</summary>
    public const string InstallerTables = "DAPPER_TENANTS_BENCH_INSTALLER_TABLES";

    public static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"The environment variable {name} is not set. Start the benchmarks through the benchmarks project's own entry point "
                + "(dotnet run -c Release --project benchmarks/DapperTenants.Benchmarks -- --filter '*'), which starts PostgreSQL, "
                + $"seeds the data and sets {Admin}, {Owner} and {App} for the benchmark processes.");

    public static bool AllSet() =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Admin))
        && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Owner))
        && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(App));
}
