using System.Globalization;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// The few options of our own, taken out of the command line before the rest goes to BenchmarkDotNet.
/// </summary>
internal sealed class BenchCommandLine
{
    /// <summary>Orders per table in a normal run (the issue's scenario 1 size).</summary>
    public const int FullRows = 1_000_000;

    /// <summary>Orders per table in a dry run: enough for every query shape, quick to seed in CI.</summary>
    public const int DryRows = 10_000;

    public const int DefaultTenants = 1_000;

    /// <summary>Tables scenario 5 secures in a normal run (the issue's size).</summary>
    public const int FullInstallerTables = 200;

    /// <summary>Tables scenario 5 secures in a dry run: enough to exercise every step, quick in CI.</summary>
    public const int DryInstallerTables = 20;

    private static readonly string[] InformationalOptions = ["--list", "--help", "-h", "-?", "--version", "--info"];

    private BenchCommandLine()
    {
    }

    /// <summary><c>chart</c>: regenerate the SVG from the last results, run nothing.</summary>
    public bool ChartOnly { get; private init; }

    /// <summary><c>breakdown</c>: split scenario 1's cost into client and server CPU, no BenchmarkDotNet run.</summary>
    public bool BreakdownOnly { get; private init; }

    /// <summary><c>wakeups</c>: count the client's waits for responses in scenario 1, no BenchmarkDotNet run.</summary>
    public bool WakeupsOnly { get; private init; }

    /// <summary><c>contextcost</c>: the server's CPU per context statement, per form, and the verifier's; no BenchmarkDotNet run.</summary>
    public bool ContextCostOnly { get; private init; }

    /// <summary><c>auditscale</c>: time the audit on a generated catalog of <see cref="Units"/> units, no BenchmarkDotNet run.</summary>
    public bool AuditScaleOnly { get; private init; }

    /// <summary><c>--units N</c>: units of <see cref="AuditScaleCatalog"/> for <c>auditscale</c> (default: the issue's 22,000 relations).</summary>
    public int Units { get; private init; }

    /// <summary><c>--ops N</c> for <c>auditscale</c>: audit runs per state, fresh and analyzed (default 3).</summary>
    public int AuditRuns { get; private init; }

    /// <summary><c>--perf</c>: <c>wakeups</c> counts the client's system calls with <c>perf stat</c>.</summary>
    public bool Perf { get; private init; }

    /// <summary><c>--pin</c>: <c>breakdown</c>, <c>wakeups</c>, <c>contextcost</c> (or a BenchmarkDotNet run, whose benchmark processes inherit it) puts itself and the PostgreSQL server on separate CPUs.</summary>
    public bool Pin { get; private init; }

    /// <summary><c>--ops N</c>: operations per variant for <c>breakdown</c>, <c>wakeups</c> and <c>contextcost</c>.</summary>
    public int Operations { get; private init; }

    /// <summary>A BenchmarkDotNet option that only prints (<c>--list</c>, <c>--help</c>): no database is needed.</summary>
    public bool InformationalOnly { get; private init; }

    /// <summary><c>--job dry</c>: one iteration per benchmark, no timing claims.</summary>
    public bool IsDry { get; private init; }

    public int Rows { get; private init; }

    public int Tenants { get; private init; }

    public int InstallerTables { get; private init; }

    public bool KeepDatabase { get; private init; }

    public string? Artifacts { get; private init; }

    public string[] BenchmarkArguments { get; private init; } = [];

    public static BenchCommandLine Parse(string[] args)
    {
        var rest = new List<string>();
        int? rows = null;
        var tenants = DefaultTenants;
        int? installerTables = null;
        var keep = false;
        var chart = false;
        var breakdown = false;
        var wakeups = false;
        var contextCost = false;
        var auditScale = false;
        var units = AuditScaleCatalog.IssueUnits;
        var operations = 20_000;
        int? auditRuns = null;
        var pin = false;
        var perf = false;
        string? artifacts = null;
        var dry = false;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "chart" when i == 0:
                    chart = true;
                    continue;
                case "breakdown" when i == 0:
                    breakdown = true;
                    continue;
                case "wakeups" when i == 0:
                    wakeups = true;
                    continue;
                case "contextcost" when i == 0:
                    contextCost = true;
                    continue;
                case "auditscale" when i == 0:
                    auditScale = true;
                    continue;
                case "--units":
                    units = ParseCount(args, ref i);
                    continue;
                case "--perf":
                    perf = true;
                    continue;
                case "--pin":
                    pin = true;
                    continue;
                case "--ops":
                    operations = ParseCount(args, ref i);
                    auditRuns = operations;
                    continue;
                case "--rows":
                    rows = ParseCount(args, ref i);
                    continue;
                case "--tenants":
                    tenants = ParseCount(args, ref i);
                    continue;
                case "--installer-tables":
                    installerTables = ParseCount(args, ref i);
                    continue;
                case "--keep-database":
                    keep = true;
                    continue;
                case "--artifacts" when i + 1 < args.Length:
                    artifacts = args[i + 1];
                    break;
                case "-j" or "--job" when i + 1 < args.Length:
                    dry |= args[i + 1].Equals("dry", StringComparison.OrdinalIgnoreCase);
                    break;
                default:
                    break;
            }

            rest.Add(arg);
        }

        return new BenchCommandLine
        {
            ChartOnly = chart,
            BreakdownOnly = breakdown,
            WakeupsOnly = wakeups,
            ContextCostOnly = contextCost,
            AuditScaleOnly = auditScale,
            Units = units,
            AuditRuns = auditRuns ?? 3,
            Operations = operations,
            Pin = pin,
            Perf = perf,
            InformationalOnly = rest.Any(a => InformationalOptions.Contains(a, StringComparer.OrdinalIgnoreCase)),
            IsDry = dry,
            Rows = rows ?? (dry ? DryRows : FullRows),
            Tenants = tenants,
            InstallerTables = installerTables ?? (dry ? DryInstallerTables : FullInstallerTables),
            KeepDatabase = keep,
            Artifacts = artifacts,
            BenchmarkArguments = [.. rest],
        };
    }

    private static int ParseCount(string[] args, ref int i)
    {
        if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var value) || value < 1)
        {
            throw new ArgumentException($"{args[i]} needs a positive whole number, for example {args[i]} 100000.");
        }

        i++;
        return value;
    }
}
