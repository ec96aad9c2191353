namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>Where results go, found from the repository root so that the working directory does not matter.</summary>
internal sealed class BenchPaths
{
    private BenchPaths(string repositoryRoot, string artifacts)
    {
        RepositoryRoot = repositoryRoot;
        Artifacts = artifacts;
    }

    public string RepositoryRoot { get; }

    /// <summary>BenchmarkDotNet's artifacts folder (logs, and the reports under <c>results/</c>); git ignores it.</summary>
    public string Artifacts { get; }

    public string Results => Path.Combine(Artifacts, "results");

    /// <summary>The chart the README links to.</summary>
    public string Chart => Path.Combine(RepositoryRoot, "benchmarks", "results", "ratios.svg");

    /// <param name="artifactsOverride">BenchmarkDotNet's <c>--artifacts</c> value, if given.</param>
    public static BenchPaths Find(string? artifactsOverride)
    {
        var root = FindRoot(AppContext.BaseDirectory) ?? FindRoot(Environment.CurrentDirectory) ?? Environment.CurrentDirectory;
        var artifacts = artifactsOverride is { Length: > 0 }
            ? Path.GetFullPath(artifactsOverride)
            : Path.Combine(root, "benchmarks", "BenchmarkDotNet.Artifacts");
        return new BenchPaths(root, artifacts);
    }

    private static string? FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DapperTenants.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
