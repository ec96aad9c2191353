using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using DapperTenants.Tests.Reliability;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Readme;

/// <summary>
/// The README's reliability figures: the table's counts are the suites' constants and case lists, and the quoted log
/// has the lines the suites print now (their format, their setups and seeds, their deterministic counts).
/// </summary>
[Category(Categories.Unit)]
public partial class ReadmeFiguresTests
{
    private static string Row(string suite)
    {
        var row = ReadmeFile.Text.Split('\n').SingleOrDefault(l => l.StartsWith($"| {suite} |", StringComparison.Ordinal));
        row.ShouldNotBeNull($"the README's reliability table has no row '{suite}'");
        return row;
    }

    private static int FaultCases => typeof(FaultTests).GetMethods()
        .Sum(m => m.GetCustomAttributes<TestCaseAttribute>().Count() + (m.IsDefined(typeof(TestAttribute)) ? 1 : 0));

    private static Dictionary<AttackTests.Outcome, int> AttackCounts =>
        Enum.GetValues<AttackTests.Outcome>().ToDictionary(o => o, o => AttackTests.Cases.Count(c => c.Expected == o));

    [Test]
    public void The_leak_fuzzer_row_states_the_fuzzers_constants()
    {
        var row = Row("leak fuzzer");
        row.ShouldContain($"{LeakFuzzerTests.Workers} workers, {LeakFuzzerTests.Tenants} tenants");
        row.ShouldContain($"{LeakFuzzer.CanariesPerTenant} canary rows per tenant");
        row.ShouldContain(string.Create(CultureInfo.InvariantCulture, $"{LeakFuzzerTests.Setups.Length} pooling setups × {LeakFuzzerTests.DefaultOperations:N0} operations"));
        row.ShouldContain(string.Create(CultureInfo.InvariantCulture,
            $"at most {LeakFuzzerTests.MaxCollateralShare * 100:0}% of operations as collateral and {LeakFuzzerTests.MaxDeliberateShare * 100:0}% on purpose"));
    }

    [Test]
    public void The_faults_row_counts_the_fault_tests()
    {
        Row("faults").ShouldContain($"{FaultCases} faults injected");
    }

    [Test]
    public void The_attack_row_counts_the_attack_cases_by_outcome()
    {
        var counts = AttackCounts;
        Row("attack statements").ShouldContain(
            $"{AttackTests.Cases.Count()} attempts: {counts[AttackTests.Outcome.Guard]} refused by the guard, {counts[AttackTests.Outcome.Refused]} by the server, "
            + $"{counts[AttackTests.Outcome.NpgsqlRefused]} by Npgsql (`COPY … TO` in a regular command), {counts[AttackTests.Outcome.NoForeignRows]} ran with no foreign row, "
            + $"{counts[AttackTests.Outcome.KnownLimit]} documented limits");
    }

    [Test]
    public void The_quoted_log_has_the_lines_the_reliability_suites_print()
    {
        var lines = ReadmeFile.Block("reliability-log").Split('\n', StringSplitOptions.RemoveEmptyEntries);

        var fuzzer = lines.Where(l => l.StartsWith("leak fuzzer: ", StringComparison.Ordinal)).Select(l => FuzzerLine().Match(l)).ToList();
        fuzzer.Select(m => m.Success).ShouldAllBe(ok => ok, "every fuzzer line has FuzzReport's format");
        fuzzer.Select(m => m.Groups["setup"].Value).ShouldBe(LeakFuzzerTests.Setups.Select(s => s.Name), "one line per setup, in order");
        fuzzer.Select(m => int.Parse(m.Groups["seed"].Value, CultureInfo.InvariantCulture))
            .ShouldBe(Enumerable.Range(1, LeakFuzzerTests.Setups.Length).Select(i => (LeakFuzzerTests.DefaultSeed * 100) + i), "the default seeds");
        foreach (var m in fuzzer)
        {
            long.Parse(m.Groups["operations"].Value, CultureInfo.InvariantCulture).ShouldBeGreaterThanOrEqualTo(LeakFuzzerTests.DefaultOperationsOf(m.Groups["setup"].Value));
            int.Parse(m.Groups["canaries"].Value, CultureInfo.InvariantCulture).ShouldBe(LeakFuzzerTests.Tenants * LeakFuzzer.CanariesPerTenant);
        }

        var counts = AttackCounts;
        lines.ShouldContain(l => l.StartsWith(
            $"attack statements tried: {AttackTests.Cases.Count()} ({string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}"))}); foreign values seen: ", StringComparison.Ordinal)
            && l.EndsWith(" in the known limits, 0 outside them", StringComparison.Ordinal));
        lines.ShouldContain($"faults injected and survived: {FaultCases}");
        lines.Count(l => RestartLine().IsMatch(l)).ShouldBe(1);
        lines.Length.ShouldBe(fuzzer.Count + 3, "nothing else");
    }

    [GeneratedRegex(@"^leak fuzzer: (?<setup>.+): seed (?<seed>\d+), \d+ sessions, (?<operations>\d+) operations \(\d+ succeeded, \d+ failed on purpose = [\d.]+ %, \d+ collateral = [\d.]+ %\), \d+ rows read and \d+ foreign counts checked, \d+ rows and (?<canaries>\d+) canaries verified, 0 leaks$")]
    private static partial Regex FuzzerLine();

    [GeneratedRegex(@"^restart under load: \d+ calls failed while the server was down, \d+ failed after the restart, \d+ succeeded after it, \d+ rows written, 0 under the wrong tenant, 0 foreign rows read$")]
    private static partial Regex RestartLine();
}
