using System.Reflection;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.ConsoleArguments;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>Whether the benchmarks a command line selects need the database, decided before any server is started.</summary>
internal static class BenchSelection
{
    /// <summary>
    /// False only when the arguments hold a filter and every benchmark case it selects belongs to a
    /// <see cref="NoDatabaseAttribute"/> class; true in every doubtful case (no filter: BenchmarkDotNet will ask which
    /// classes to run, after the database must already exist).
    /// </summary>
    public static bool NeedsDatabase(Assembly assembly, string[] benchmarkArguments)
    {
        var (parsed, config, _) = ConfigParser.Parse(benchmarkArguments, NullLogger.Instance);
        if (!parsed || config is null || !config.GetFilters().Any())
        {
            return true;
        }

        foreach (var type in assembly.GetTypes().Where(IsBenchmarkClass))
        {
            if (!type.IsDefined(typeof(NoDatabaseAttribute), inherit: false)
                && BenchmarkConverter.TypeToBenchmarks(type, config).BenchmarksCases.Length > 0)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsBenchmarkClass(Type type) =>
        type is { IsClass: true, IsAbstract: false, IsPublic: true }
        && type.GetMethods(BindingFlags.Public | BindingFlags.Instance).Any(m => m.IsDefined(typeof(BenchmarkAttribute), inherit: false));
}
