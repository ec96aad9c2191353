using System.Text.RegularExpressions;
using DapperTenants.Tests.Readme;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Audit;

/// <summary>docs/cli.md's rule table lists every code of <see cref="AuditCodes"/>, once, with a severity and a meaning.</summary>
[Category(Categories.Unit)]
public partial class AuditRuleTableTests
{
    private static readonly string[] Severities = ["error", "warning", "info"];

    [Test]
    public void Every_audit_code_has_one_row_with_its_severity_and_meaning_in_the_cli_rule_table()
    {
        var rows = Rows();
        var missing = AuditCodes.Descriptions.Keys.Where(code => !rows.ContainsKey(code)).ToList();
        missing.ShouldBeEmpty($"docs/cli.md's rule table (| `DTnnn` | severity | finding | why it matters |) lacks {string.Join(", ", missing)}");
        rows.Keys.Where(code => !AuditCodes.Descriptions.ContainsKey(code)).ShouldBeEmpty("docs/cli.md lists codes AuditCodes does not have");
        foreach (var (code, (severity, finding, why)) in rows)
        {
            Severities.ShouldContain(s => severity.Contains(s, StringComparison.Ordinal), $"{code}'s severity: {severity}");
            finding.ShouldNotBeNullOrWhiteSpace(code);
            why.ShouldNotBeNullOrWhiteSpace(code);
        }
    }

    [Test]
    public void The_table_reader_sees_the_rows_of_the_table() =>
        Rows().Keys.ShouldContain("DT001");

    private static Dictionary<string, (string Severity, string Finding, string Why)> Rows()
    {
        var text = File.ReadAllText(Path.Combine(ReadmeFile.Root, "docs", "cli.md"));
        var rows = new Dictionary<string, (string, string, string)>(StringComparer.Ordinal);
        foreach (Match row in RuleRow().Matches(text))
        {
            rows.Add(row.Groups["code"].Value, (row.Groups["severity"].Value.Trim(), row.Groups["finding"].Value.Trim(), row.Groups["why"].Value.Trim()));
        }

        return rows;
    }

    [GeneratedRegex(@"^\| `(?<code>DT\d{3})` \| (?<severity>[^|]+) \| (?<finding>.+) \| (?<why>[^|]+) \|$", RegexOptions.Multiline)]
    private static partial Regex RuleRow();
}
