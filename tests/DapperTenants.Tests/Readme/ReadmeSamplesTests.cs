using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Readme;

/// <summary>
/// Every C# sample in README.md and docs/*.md is compiled and run by a test. A sample is marked <c>&lt;!-- sample: name --&gt;</c>
/// in its document; test sources hold it between <c>// README sample name: Member, …</c> and <c>// README sample end</c>,
/// in as many regions as needed (a type, then a method body), in the README's order. The regions together must equal
/// the sample line by line (whitespace and <c>using</c> directives aside), each region must lie in the members it
/// names, and each member must be reached from a <c>[Test]</c> of its fixture (a call for a method, a use for a type).
/// </summary>
[Category(Categories.Unit)]
public partial class ReadmeSamplesTests
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    public static IEnumerable<TestCaseData> Samples() => ReadmeFile.Documents
        .SelectMany(document => SampleMarker().Matches(File.ReadAllText(document).Replace("\r\n", "\n", StringComparison.Ordinal)))
        .Select(m => new TestCaseData(m.Groups["name"].Value, m.Groups["body"].Value).SetName($"The_readme_sample_{m.Groups["name"].Value.Replace('-', '_')}_is_compiled_and_run_by_a_test"));

    public static IEnumerable<TestCaseData> Files() => ReadmeFile.Documents
        .SelectMany(document => FileMarker().Matches(File.ReadAllText(document).Replace("\r\n", "\n", StringComparison.Ordinal)))
        .Select(m => new TestCaseData(m.Groups["path"].Value, m.Groups["body"].Value).SetName($"The_readme_block_of_{Path.GetFileNameWithoutExtension(m.Groups["path"].Value)}_is_that_file"));

    public static IEnumerable<string> Documents() => ReadmeFile.Documents.Select(ReadmeFile.Relative);

    [TestCaseSource(nameof(Documents))]
    public void Every_csharp_block_of_a_document_is_a_marked_sample(string document)
    {
        var text = File.ReadAllText(Path.Combine(ReadmeFile.Root, document)).Replace("\r\n", "\n", StringComparison.Ordinal);
        var blocks = Regex.Count(text, "^```csharp$", RegexOptions.Multiline);
        (SampleMarker().Count(text) + FileMarker().Count(text) + NotRunMarker().Count(text)).ShouldBe(blocks,
            $"each ```csharp block of {document} needs a <!-- sample: name --> or <!-- file: path --> line before it");
    }

    [Test]
    public void The_only_samples_not_run_are_the_scale_out_guides_illustrations()
    {
        ReadmeFile.Documents
            .SelectMany(d => NotRunMarker().Matches(File.ReadAllText(d).Replace("\r\n", "\n", StringComparison.Ordinal)).Select(m => $"{ReadmeFile.Relative(d)}: {m.Groups["why"].Value}"))
            .ShouldBe(
            [
                "docs/scale-out.md: an illustration with placeholder hosts; tests/DapperTenants.Tests/Replicas/ runs the same calls on a real standby",
                "docs/scale-out.md: an illustration; tests/DapperTenants.Tests/Replicas/StandbyFailoverTests.cs builds the same data source",
                "docs/scale-out.md: an illustration; .ci/package-smoke/app/StandbySample.cs runs the same calls against the packages",
            ], "a sample that no test runs must say so, and this list must grow only on purpose");
    }

    [Test]
    public void The_documents_have_csharp_samples()
    {
        Samples().Count().ShouldBeGreaterThan(5);
    }

    /// <summary>
    /// A block marked <c>&lt;!-- file: path --&gt;</c> shows a whole source file of another project of the solution (a
    /// sample app, a worker), which the build compiles and that project's tests run: it must equal that file, namespace,
    /// <c>using</c> directives and XML doc comments aside.
    /// </summary>
    [TestCaseSource(nameof(Files))]
    public void File_block(string path, string block)
    {
        var file = Path.Combine(ReadmeFile.Root, path);
        File.Exists(file).ShouldBeTrue($"the documentation shows {path}, which does not exist");
        static List<string> Lines(string text) => Code(text).Where(l => !l.StartsWith("namespace ", StringComparison.Ordinal) && !l.StartsWith("///", StringComparison.Ordinal)).ToList();
        Lines(File.ReadAllText(file).Replace("\r\n", "\n", StringComparison.Ordinal)).ShouldBe(Lines(block), $"the documentation's block must equal {path}");
    }

    [TestCaseSource(nameof(Samples))]
    public void Sample(string name, string sample)
    {
        var regions = Regions(name);
        regions.ShouldNotBeEmpty($"no test source has '// README sample {name}: …'");
        Code(string.Join('\n', regions.Select(r => r.Text))).ShouldBe(Code(sample), $"the regions of '{name}' must equal the README's sample");

        foreach (var region in regions)
        {
            foreach (var member in region.Members)
            {
                (Declares(region.Text, member) || Inside(region.Source, region.Start, member))
                    .ShouldBeTrue($"region '{name}' in {region.File} names {member}, but neither declares it nor lies in its body");
                var fixture = FixtureOf(region.File, member);
                Reached(fixture, member).ShouldBeTrue($"no [Test] of {fixture.Name} reaches {member} (README sample '{name}')");
            }
        }
    }

    /// <summary>The sample's code lines, trimmed and with runs of white space collapsed; <c>using</c> directives left out.</summary>
    private static List<string> Code(string text) => text.Split('\n')
        .Select(line => WhiteSpace().Replace(line.Trim(), " "))
        .Where(line => line.Length > 0 && !line.StartsWith("using ", StringComparison.Ordinal))
        .ToList();

    private static List<(string File, string Source, int Start, string Text, string[] Members)> Regions(string name)
    {
        var regions = new List<(string, string, int, string, string[])>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(ReadmeFile.Root, "tests"), "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) || file.EndsWith(nameof(ReadmeSamplesTests) + ".cs", StringComparison.Ordinal))
            {
                continue;
            }

            var source = File.ReadAllText(file).Replace("\r\n", "\n", StringComparison.Ordinal);
            foreach (Match match in Region().Matches(source))
            {
                if (match.Groups["name"].Value == name)
                {
                    regions.Add((file, source, match.Index, match.Groups["body"].Value, match.Groups["members"].Value.Split(',', StringSplitOptions.TrimEntries)));
                }
            }
        }

        return regions;
    }

    /// <summary>Whether <paramref name="text"/> declares a type or a method named <paramref name="member"/>.</summary>
    private static bool Declares(string text, string member) =>
        Regex.IsMatch(text, $@"\b(class|record|struct|interface|enum)\s+{Regex.Escape(member)}\b|\s{Regex.Escape(member)}\s*\(");

    /// <summary>Whether position <paramref name="start"/> of <paramref name="source"/> lies in the body of the last method named <paramref name="member"/> declared before it.</summary>
    private static bool Inside(string source, int start, string member)
    {
        var declaration = Regex.Matches(source[..start], $@"\s{Regex.Escape(member)}\s*\(").LastOrDefault();
        if (declaration is null)
        {
            return false;
        }

        var open = source.IndexOf('{', declaration.Index);
        return open >= 0 && open < start && source[open..start].Count(c => c == '{') - source[open..start].Count(c => c == '}') >= 1;
    }

    /// <summary>The test fixture whose source file is <paramref name="file"/> and that declares (or nests) <paramref name="member"/>.</summary>
    private static Type FixtureOf(string file, string member)
    {
        var fixtureName = Path.GetFileNameWithoutExtension(file);
        var fixture = typeof(ReadmeSamplesTests).Assembly.GetTypes().SingleOrDefault(t => t.Name == fixtureName && !t.IsNested);
        fixture.ShouldNotBeNull($"{file} must declare the fixture {fixtureName}");
        (fixture.GetMember(member, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance).Length > 0)
            .ShouldBeTrue($"{fixtureName} has no member {member}");
        return fixture;
    }

    /// <summary>Whether a [Test] of <paramref name="fixture"/> calls the method <paramref name="member"/>, or uses the nested type of that name, directly or through the fixture's own methods.</summary>
    private static bool Reached(Type fixture, string member)
    {
        var visited = new HashSet<MethodBase>();
        var pending = new Stack<MethodBase>(fixture.GetMethods(BindingFlags.Public | BindingFlags.Instance).Where(m => m.IsDefined(typeof(TestAttribute)) || m.IsDefined(typeof(TestCaseAttribute)) || m.IsDefined(typeof(TestCaseSourceAttribute))));
        while (pending.TryPop(out var method))
        {
            if (!visited.Add(method))
            {
                continue;
            }

            foreach (var used in Uses(method))
            {
                if (used is MethodBase callee)
                {
                    if (callee.Name == member && callee.DeclaringType == fixture)
                    {
                        return true;
                    }

                    if (callee.IsGenericMethod && callee.GetGenericArguments().Any(a => IsMember(a, fixture, member)))
                    {
                        return true;
                    }

                    if (IsMember(callee.DeclaringType, fixture, member))
                    {
                        return true;
                    }

                    var owner = callee.DeclaringType;
                    while (owner?.IsNested == true && owner != fixture)
                    {
                        owner = owner.DeclaringType;
                    }

                    if (owner == fixture && callee.GetMethodBody() is not null)
                    {
                        pending.Push(callee);
                    }
                }
                else if (used is Type type && IsMember(type, fixture, member))
                {
                    return true;
                }
            }

            if (method.GetCustomAttribute<AsyncStateMachineAttribute>() is { } async)
            {
                pending.Push(async.StateMachineType.GetMethod("MoveNext", BindingFlags.NonPublic | BindingFlags.Instance)!);
            }
        }

        return false;
    }

    private static bool IsMember(Type? type, Type fixture, string member) =>
        type is not null && type.Name == member && type.DeclaringType == fixture
        || type is { IsGenericType: true } && type.GetGenericArguments().Any(a => IsMember(a, fixture, member));

    /// <summary>The methods, constructors and types a method's IL refers to (calls, ldftn, newobj, ldtoken, casts).</summary>
    private static IEnumerable<MemberInfo> Uses(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        var typeArguments = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var i = 0; i < il.Length;)
        {
            var value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var opCode = OpCodesByValue[value];
            switch (opCode.OperandType)
            {
                case OperandType.InlineMethod:
                case OperandType.InlineType:
                case OperandType.InlineTok:
                    var token = BitConverter.ToInt32(il, i);
                    MemberInfo? used = null;
                    try
                    {
                        used = method.Module.ResolveMember(token, typeArguments, methodArguments);
                    }
                    catch (ArgumentException)
                    {
                    }

                    if (used is not null)
                    {
                        yield return used;
                    }

                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    break;
                case OperandType.InlineI8:
                case OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                case OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case OperandType.InlineNone:
                    break;
                default:
                    i += 4;
                    break;
            }
        }
    }

    [GeneratedRegex("^<!-- sample: (?<name>[a-z0-9-]+) -->\\n```csharp\\n(?<body>.*?)^```$", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex SampleMarker();

    [GeneratedRegex("^<!-- file: (?<path>[A-Za-z0-9_./-]+) -->\\n```csharp\\n(?<body>.*?)^```$", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex FileMarker();

    [GeneratedRegex("^<!-- sample not run: (?<why>[^>]+) -->\\n```csharp\\n", RegexOptions.Multiline)]
    private static partial Regex NotRunMarker();

    [GeneratedRegex("^[ \\t]*// README sample (?<name>[a-z0-9-]+): (?<members>[A-Za-z0-9_, ]+)\\n(?<body>.*?)^[ \\t]*// README sample end$", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex Region();

    [GeneratedRegex("\\s+")]
    private static partial Regex WhiteSpace();
}
