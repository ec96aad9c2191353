using System.Reflection;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Architecture;

/// <summary>
/// The house's rules (ARCHITECTURE.md) as a test: which wing of the core may refer to which, read from the compiled
/// assembly's signatures and IL. A new arrow fails here first; change ARCHITECTURE.md and these tables together.
/// </summary>
[Category(Categories.Unit)]
public class ArchitectureTests
{
    private const string Root = "Root";

    private static readonly Assembly Core = typeof(TenantDataSource).Assembly;

    /// <summary>The wings each wing may refer to directly, besides itself and the front door's types (<c>Root</c>).</summary>
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["Catalog"] = [],
        ["Guard"] = ["Catalog", "Telemetry"],
        ["Connections"] = ["Guard", "Catalog", "Telemetry"],
        ["Policies"] = ["Catalog", "Telemetry"],
        ["Audit"] = ["Guard", "Catalog", "Telemetry"],
        ["Registry"] = ["Catalog"],
        ["Telemetry"] = ["Catalog"],
    };

    /// <summary>Wings that must not reach another wing even through the front door's types (the request path's own wings may).</summary>
    private static readonly string[] Sealed = ["Catalog", "Guard", "Policies", "Audit", "Registry"];

    /// <summary>Assemblies besides the BCL each wing may refer to; Root may use them all.</summary>
    private static readonly Dictionary<string, string[]> AllowedPackages = new(StringComparer.Ordinal)
    {
        ["Catalog"] = ["Npgsql"],
        ["Guard"] = ["Npgsql"],
        ["Connections"] = ["Npgsql", "Microsoft.Extensions.Logging.Abstractions"],
        ["Policies"] = ["Npgsql"],
        ["Audit"] = [],
        ["Registry"] = ["Npgsql"],
        ["Telemetry"] = ["Microsoft.Extensions.Logging.Abstractions"],
    };

    private static readonly Lazy<List<Edge>> Edges = new(() => [.. Core.GetTypes().Where(t => !t.IsNested)
        .SelectMany(t => TypeReferences.Of(t).Select(r => new Edge(t, TypeReferences.Outermost(r.Referenced), r.Where)))
        .Where(e => e.From != e.To)
        .DistinctBy(e => (e.From, e.To))]);

    [Test]
    public void Every_namespace_of_the_core_is_a_known_wing()
    {
        Core.GetTypes().Select(Wing).Where(w => w is not null && w != Root).Distinct().Order(StringComparer.Ordinal)
            .ShouldBe(Allowed.Keys.Order(StringComparer.Ordinal), "a new wing needs its row in ARCHITECTURE.md and in this test");
    }

    [TestCase("Catalog")]
    [TestCase("Guard")]
    [TestCase("Connections")]
    [TestCase("Policies")]
    [TestCase("Audit")]
    [TestCase("Registry")]
    [TestCase("Telemetry")]
    public void A_wing_refers_only_to_the_wings_it_may(string wing)
    {
        var allowed = Allowed[wing].Append(wing).Append(Root).ToHashSet(StringComparer.Ordinal);
        Edges.Value.Where(e => Wing(e.From) == wing && Wing(e.To) is { } to && !allowed.Contains(to))
            .Select(e => $"{e.Where} -> {e.To.FullName}")
            .ShouldBeEmpty($"{wing} may refer to {string.Join(", ", Allowed[wing].DefaultIfEmpty("no other wing"))} only");
    }

    [TestCase("Catalog")]
    [TestCase("Guard")]
    [TestCase("Policies")]
    [TestCase("Audit")]
    [TestCase("Registry")]
    public void A_sealed_wing_reaches_no_other_wing_through_the_front_doors_types(string wing)
    {
        var allowed = Allowed[wing].Append(wing).ToHashSet(StringComparer.Ordinal);
        var byType = Edges.Value.ToLookup(e => e.From);
        var seen = new HashSet<Type>();
        var pending = new Queue<(Type Type, string Path)>(Core.GetTypes().Where(t => !t.IsNested && Wing(t) == wing).Select(t => (t, t.Name)));
        var reached = new List<string>();
        while (pending.TryDequeue(out var next))
        {
            foreach (var edge in byType[next.Type].Where(e => seen.Add(e.To)))
            {
                var to = Wing(edge.To);
                if (to == Root)
                {
                    pending.Enqueue((edge.To, next.Path + " -> " + edge.To.Name));
                }
                else if (to is not null && !allowed.Contains(to))
                {
                    reached.Add($"{next.Path} -> {edge.To.FullName}");
                }
            }
        }

        reached.ShouldBeEmpty($"{wing} reaches other wings through the public types it uses");
    }

    [TestCase("Catalog")]
    [TestCase("Guard")]
    [TestCase("Connections")]
    [TestCase("Policies")]
    [TestCase("Audit")]
    [TestCase("Registry")]
    [TestCase("Telemetry")]
    public void A_wing_uses_only_its_packages_and_the_base_class_library(string wing)
    {
        Edges.Value.Where(e => Wing(e.From) == wing && e.To.Assembly != Core)
            .Select(e => e.To.Assembly.GetName().Name!)
            .Where(name => !IsBaseClassLibrary(name) && !AllowedPackages[wing].Contains(name))
            .Distinct()
            .ShouldBeEmpty();
    }

    [Test]
    public void Policies_and_the_audit_never_touch_the_request_paths_wings()
    {
        string[] requestPath = ["Connections", "Guard"];

        // The audit reads policy expressions with the guard's lexer, and nothing else of the guard.
        string[] lexer = ["SqlLexer", "SqlTokens", "SqlToken", "SqlTokenKind", "SqlLiterals"];
        Edges.Value.Where(e => Wing(e.From) is "Policies" or "Audit" or "Registry" && requestPath.Contains(Wing(e.To))
                && !(Wing(e.From) == "Audit" && Wing(e.To) == "Guard" && lexer.Contains(e.To.Name)))
            .Select(e => $"{e.Where} -> {e.To.FullName}")
            .ShouldBeEmpty();
    }

    [Test]
    public void The_core_never_refers_to_AspNetCore_or_a_test_framework()
    {
        Core.GetReferencedAssemblies().Select(a => a.Name!)
            .Where(n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || n.StartsWith("DapperTenants.", StringComparison.Ordinal)
                || n.StartsWith("nunit", StringComparison.OrdinalIgnoreCase))
            .ShouldBeEmpty();
    }

    [Test]
    public void Only_the_front_door_is_public()
    {
        Core.GetExportedTypes().Where(t => Wing(t) != Root).Select(t => t.FullName).ShouldBeEmpty("the wings are internal; public types live in namespace DapperTenants");
    }

    private static bool IsBaseClassLibrary(string assembly) => assembly is "netstandard" or "mscorlib" || assembly.StartsWith("System", StringComparison.Ordinal);

    /// <summary>The wing of a core type: its namespace below <c>DapperTenants</c>, <c>Root</c> for the front door; null for other assemblies and compiler-generated types.</summary>
    private static string? Wing(Type type)
    {
        var outer = TypeReferences.Outermost(type);
        if (outer.Assembly != Core)
        {
            return null;
        }

        var ns = outer.Namespace ?? string.Empty;
        return ns == "DapperTenants" ? Root : ns.StartsWith("DapperTenants.", StringComparison.Ordinal) ? ns["DapperTenants.".Length..].Split('.')[0] : null;
    }

    private sealed record Edge(Type From, Type To, string Where);
}
