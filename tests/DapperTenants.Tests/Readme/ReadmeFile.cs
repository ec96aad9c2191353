using System.Text;
using System.Text.RegularExpressions;

namespace DapperTenants.Tests.Readme;

/// <summary>
/// The repository's README.md and its checked blocks: a fenced block preceded by <c>&lt;!-- checked: name --&gt;</c>
/// holds output that a test compares with what the code produces. With <c>DAPPER_TENANTS_UPDATE_README=1</c> those
/// tests write the produced text into the README instead (then review the diff).
/// </summary>
public static class ReadmeFile
{
    public const string UpdateVariable = "DAPPER_TENANTS_UPDATE_README";

    public static string Root { get; } = FindRoot();

    public static string Path => System.IO.Path.Combine(Root, "README.md");

    public static string Text => File.ReadAllText(Path);

    /// <summary>The content of the fenced block after <c>&lt;!-- checked: <paramref name="name"/> --&gt;</c>, without its fences.</summary>
    public static string Block(string name)
    {
        var match = CheckedBlock(name).Match(Text);
        match.Success.ShouldBeTrue($"README.md has no fenced block after <!-- checked: {name} -->");
        return match.Groups["body"].Value;
    }

    /// <summary>
    /// Asserts that the checked block <paramref name="name"/> equals <paramref name="produced"/>, after
    /// <paramref name="normalize"/> on both (for run-dependent parts such as ports and timings); or, with
    /// <see cref="UpdateVariable"/> set, writes <paramref name="produced"/> into the README.
    /// </summary>
    public static void ShouldMatch(string name, string produced, Func<string, string>? normalize = null)
    {
        produced = produced.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n') + "\n";
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            var regex = CheckedBlock(name);
            var text = Text;
            regex.IsMatch(text).ShouldBeTrue($"README.md has no fenced block after <!-- checked: {name} -->");
            File.WriteAllText(Path, regex.Replace(text, m => m.Groups["head"].Value + produced + m.Groups["tail"].Value, 1), new UTF8Encoding(false));
            return;
        }

        normalize ??= s => s;
        normalize(Block(name)).ShouldBe(normalize(produced),
            $"README.md's block <!-- checked: {name} --> differs from what the code produces; run the test with {UpdateVariable}=1 to rewrite it, then review the diff");
    }

    private static Regex CheckedBlock(string name) =>
        new($"(?<head><!-- checked: {Regex.Escape(name)} -->\\n```[a-z]*\\n)(?<body>.*?)(?<tail>^```$)", RegexOptions.Singleline | RegexOptions.Multiline);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "DapperTenants.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("DapperTenants.sln not found above the test directory.");
    }
}
