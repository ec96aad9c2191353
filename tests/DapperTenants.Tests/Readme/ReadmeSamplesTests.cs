using System.Text.RegularExpressions;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Readme;

/// <summary>Every C# sample in README.md is compiled: each of its lines appears in a test source file.</summary>
[Category(Categories.Unit)]
public partial class ReadmeSamplesTests
{
    [Test]
    public void Every_csharp_line_of_the_readme_appears_in_compiled_test_code()
    {
        var root = FindRoot();
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var sources = Directory.EnumerateFiles(Path.Combine(root, "tests"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(File.ReadLines)
            .Select(Normalize)
            .ToHashSet(StringComparer.Ordinal);
        var blocks = CsharpBlock().Matches(readme).Select(m => m.Groups[1].Value).ToList();
        blocks.Count.ShouldBeGreaterThan(2);
        var missing = blocks.SelectMany(b => b.Split('\n'))
            .Select(Normalize)
            .Where(line => line.Length > 0 && !line.StartsWith("using ", StringComparison.Ordinal) && !sources.Contains(line))
            .ToList();
        missing.ShouldBeEmpty("README lines not found in any test file:" + Environment.NewLine + string.Join(Environment.NewLine, missing));
    }

    private static string Normalize(string line) => WhiteSpace().Replace(line.Trim(), " ");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DapperTenants.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("DapperTenants.sln not found above the test directory.");
    }

    [GeneratedRegex("```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CsharpBlock();

    [GeneratedRegex("\\s+")]
    private static partial Regex WhiteSpace();
}
