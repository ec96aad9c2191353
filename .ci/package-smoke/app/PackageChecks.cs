using System.IO.Compression;
using System.Reflection.Metadata;
using System.Text;
using System.Xml.Linq;

namespace PackageSmoke;

/// <summary>
/// What a user and nuget.org see in each package of the feed: one version, the metadata, the readme, XML docs, and a
/// symbol package whose PDBs link every source file to the packed commit on GitHub (SourceLink).
/// </summary>
internal static class PackageChecks
{
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    /// <summary>Returns one problem per line; prints one summary line per package.</summary>
    public static List<string> Run(string feed, string version, string commit, bool deterministic)
    {
        var problems = new List<string>();
        var packages = Directory.GetFiles(feed, "*.nupkg").Order(StringComparer.Ordinal).ToList();
        if (packages.Count == 0)
        {
            problems.Add($"no package in {feed}");
        }

        foreach (var path in packages)
        {
            var before = problems.Count;
            var id = Check(path, version, commit, deterministic, problems);
            if (problems.Count == before)
            {
                Console.WriteLine($"  {Path.GetFileName(path)}: metadata, readme, license, repository commit, docs, symbols with SourceLink");
            }
        }

        return problems;
    }

    private static string Check(string path, string version, string commit, bool deterministic, List<string> problems)
    {
        var file = Path.GetFileName(path);
        void Problem(string what) => problems.Add($"{file}: {what}");

        using var zip = ZipFile.OpenRead(path);
        var nuspecEntry = zip.Entries.SingleOrDefault(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/'));
        if (nuspecEntry is null)
        {
            Problem("no .nuspec");
            return "";
        }

        XElement metadata;
        using (var stream = nuspecEntry.Open())
        {
            metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        }

        string? Field(string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
        var id = Field("id") ?? "";
        if (file != $"{id}.{version}.nupkg")
        {
            Problem($"id '{id}' and version '{Field("version")}' do not make the file name (expected version {version})");
        }

        var description = Field("description");
        if (string.IsNullOrWhiteSpace(description) || description == "Package Description")
        {
            Problem("no description");
        }

        if (string.IsNullOrWhiteSpace(Field("tags")))
        {
            Problem("no tags");
        }

        var license = metadata.Elements().FirstOrDefault(e => e.Name.LocalName == "license");
        if (license?.Attribute("type")?.Value != "expression" || license.Value != "MIT")
        {
            Problem("license is not the MIT expression");
        }

        var projectUrl = Field("projectUrl") ?? "";
        if (!projectUrl.StartsWith("https://github.com/", StringComparison.Ordinal))
        {
            Problem($"project URL '{projectUrl}' is not the GitHub repository");
        }

        var repository = metadata.Elements().FirstOrDefault(e => e.Name.LocalName == "repository");
        var repositoryUrl = repository?.Attribute("url")?.Value ?? "";
        if (repositoryUrl != projectUrl || repository?.Attribute("commit")?.Value != commit)
        {
            Problem($"repository '{repositoryUrl}' at '{repository?.Attribute("commit")?.Value}', expected '{projectUrl}' at {commit}");
        }

        var readme = Field("readme");
        if (readme is null || zip.GetEntry(readme) is not { Length: > 200 })
        {
            Problem($"no package readme (readme element '{readme}')");
        }

        foreach (var dependency in metadata.Descendants().Where(e => e.Name.LocalName == "dependency"))
        {
            var dependencyId = dependency.Attribute("id")?.Value ?? "";
            // The test kit reads the core's internals (its schema verifier), so it pins the core's exact version.
            var expected = id == "DapperTenants.Testing" && dependencyId == "DapperTenants" ? $"[{version}]" : version;
            if (dependencyId.StartsWith("DapperTenants", StringComparison.Ordinal) && dependency.Attribute("version")?.Value != expected)
            {
                Problem($"depends on {dependencyId} {dependency.Attribute("version")?.Value}, not on {expected}");
            }
        }

        var isTool = metadata.Descendants().Any(e => e.Name.LocalName == "packageType" && e.Attribute("name")?.Value == "DotnetTool");
        var folder = isTool ? "tools/net10.0/any/" : "lib/net10.0/";
        if (zip.GetEntry($"{folder}{id}.dll") is null || zip.GetEntry($"{folder}{id}.xml") is null)
        {
            Problem($"no {folder}{id}.dll with its XML documentation");
        }

        CheckSymbols(Path.ChangeExtension(path, ".snupkg"), folder, id, repositoryUrl, commit, deterministic, Problem);
        return id;
    }

    private static void CheckSymbols(string path, string folder, string id, string repositoryUrl, string commit, bool deterministic, Action<string> problem)
    {
        if (!File.Exists(path))
        {
            problem($"no symbol package {Path.GetFileName(path)}");
            return;
        }

        using var zip = ZipFile.OpenRead(path);
        var entry = zip.GetEntry($"{folder}{id}.pdb");
        if (entry is null)
        {
            problem($"{Path.GetFileName(path)} has no {folder}{id}.pdb");
            return;
        }

        var bytes = new MemoryStream();
        using (var stream = entry.Open())
        {
            stream.CopyTo(bytes);
        }

        bytes.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(bytes);
        var reader = provider.GetMetadataReader();
        var sourceLink = reader.CustomDebugInformation
            .Select(reader.GetCustomDebugInformation)
            .Where(info => reader.GetGuid(info.Kind) == SourceLinkKind)
            .Select(info => Encoding.UTF8.GetString(reader.GetBlobBytes(info.Value)))
            .FirstOrDefault();
        var raw = repositoryUrl.Replace("https://github.com/", "https://raw.githubusercontent.com/", StringComparison.Ordinal) + "/" + commit + "/";
        if (sourceLink is null || !sourceLink.Contains(raw, StringComparison.Ordinal))
        {
            problem($"{id}.pdb has no SourceLink to {raw} (found: {sourceLink ?? "none"})");
        }

        var documents = reader.Documents.Select(d => reader.GetString(reader.GetDocument(d).Name)).ToList();
        if (documents.Count == 0)
        {
            problem($"{id}.pdb lists no source document");
        }

        var unmapped = documents.Where(d => !d.StartsWith("/_/", StringComparison.Ordinal)).ToList();
        if (deterministic && unmapped.Count > 0)
        {
            problem($"{id}.pdb keeps machine paths (not a deterministic CI build): {unmapped[0]}");
        }
    }
}
