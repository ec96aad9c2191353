using System.Text;
using System.Text.RegularExpressions;

namespace DapperTenants.Tests.Readme;

/// <summary>
/// The repository's documents, README.md and the pages under docs/, and their checked blocks: a fenced block preceded
/// by <c>&lt;!-- checked: name --&gt;</c> holds output that a test compares with what the code produces. With
/// <c>DAPPER_TENANTS_UPDATE_README=1</c> those tests write the produced text into the document instead (then review the diff).
/// </summary>
public static class ReadmeFile
{
    public const string UpdateVariable = "DAPPER_TENANTS_UPDATE_README";

    public static string Root { get; } = FindRoot();

    public static string Path => System.IO.Path.Combine(Root, "README.md");

    /// <summary>README.md's text.</summary>
    public static string Text => File.ReadAllText(Path);

    /// <summary>README.md, then every docs/*.md in name order: the documents whose samples and checked blocks the tests keep true.</summary>
    public static IReadOnlyList<string> Documents =>
        [Path, .. Directory.EnumerateFiles(System.IO.Path.Combine(Root, "docs"), "*.md").Order(StringComparer.Ordinal)];

    /// <summary>A document's path relative to the repository root, for messages.</summary>
    public static string Relative(string path) => System.IO.Path.GetRelativePath(Root, path);

    /// <summary>The text of the one document that holds the checked block <paramref name="name"/>.</summary>
    public static string TextOf(string name) => File.ReadAllText(DocumentOf(name));

    /// <summary>The content of the fenced block after <c>&lt;!-- checked: <paramref name="name"/> --&gt;</c>, without its fences.</summary>
    public static string Block(string name) => CheckedBlock(name).Match(TextOf(name)).Groups["body"].Value;

    /// <summary>
    /// Asserts that the checked block <paramref name="name"/> equals <paramref name="produced"/>, after
    /// <paramref name="normalize"/> on both (for run-dependent parts such as ports and timings); or, with
    /// <see cref="UpdateVariable"/> set, writes <paramref name="produced"/> into the document that holds it.
    /// </summary>
    public static void ShouldMatch(string name, string produced, Func<string, string>? normalize = null)
    {
        produced = produced.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n') + "\n";
        var document = DocumentOf(name);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            var text = File.ReadAllText(document);
            File.WriteAllText(document, CheckedBlock(name).Replace(text, m => m.Groups["head"].Value + produced + m.Groups["tail"].Value, 1), new UTF8Encoding(false));
            return;
        }

        normalize ??= s => s;
        normalize(Block(name)).ShouldBe(normalize(produced),
            $"{Relative(document)}'s block <!-- checked: {name} --> differs from what the code produces; run the test with {UpdateVariable}=1 to rewrite it, then review the diff");
    }

    private static string DocumentOf(string name)
    {
        var holders = Documents.Where(d => CheckedBlock(name).IsMatch(File.ReadAllText(d))).ToList();
        holders.Count.ShouldBe(1, $"exactly one of README.md and docs/*.md must have a fenced block after <!-- checked: {name} --> (found in: {string.Join(", ", holders.Select(Relative))})");
        return holders[0];
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
