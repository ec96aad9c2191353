using System.Globalization;
using Spectre.Console;

namespace DapperTenants.Cli.Audit;

/// <summary>Writes an audit for people: a summary table, then each finding with why and how to fix it.</summary>
internal static class AuditRenderer
{
    public static void Write(CliContext context, AuditRun run)
    {
        var console = context.Console;
        var report = run.Report;
        var role = report.AppRole is { } r ? $", app role [bold]{Markup.Escape(r)}[/]" : string.Empty;
        console.MarkupLine($"Audit of [bold]{Markup.Escape(report.Database)}[/] on PostgreSQL {Markup.Escape(report.ServerVersion)}{role}");
        console.MarkupLine(Markup.Escape(Summary(report)));
        if (report.IgnoredCodes.Count > 0)
        {
            console.MarkupLine($"Ignored: {Markup.Escape(string.Join(", ", report.IgnoredCodes))}");
        }

        console.WriteLine();
        if (run.Findings.Count == 0)
        {
            console.MarkupLine("[green]No findings.[/]");
            return;
        }

        var ordered = Ordered(run);
        var table = context.CreateTable("Severity", "Code", "Object", "Finding");
        foreach (var finding in ordered)
        {
            table.AddRow(Styled(finding.Severity), finding.Code, Markup.Escape(finding.Object), Markup.Escape(finding.Title));
        }

        context.Write(table);
        console.WriteLine();
        foreach (var finding in ordered)
        {
            console.MarkupLine($"{Styled(finding.Severity)} [bold]{finding.Code}[/] {Markup.Escape(finding.Object)}");
            context.WriteIndented(
                Markup.Escape(finding.Title),
                "[dim]Why:[/] " + Markup.Escape(finding.Why),
                "[dim]Fix:[/] " + Markup.Escape(finding.Fix));
            console.WriteLine();
        }

        console.MarkupLine(Markup.Escape(Totals(run)));
    }

    /// <summary>A Markdown document: for a pull request, an issue or a wiki page.</summary>
    public static void WriteMarkdown(TextWriter output, AuditRun run)
    {
        var report = run.Report;
        output.WriteLine($"# Audit of `{report.Database}`");
        output.WriteLine();
        output.WriteLine($"PostgreSQL {report.ServerVersion}{(report.AppRole is { } role ? $", app role `{role}`" : string.Empty)}. {Summary(report)}");
        if (report.IgnoredCodes.Count > 0)
        {
            output.WriteLine();
            output.WriteLine($"Ignored: {string.Join(", ", report.IgnoredCodes)}");
        }

        output.WriteLine();
        if (run.Findings.Count == 0)
        {
            output.WriteLine("No findings.");
            return;
        }

        var ordered = Ordered(run);
        output.WriteLine("| Severity | Code | Object | Finding |");
        output.WriteLine("| --- | --- | --- | --- |");
        foreach (var finding in ordered)
        {
            output.WriteLine($"| {AuditReport.SeverityName(finding.Severity)} | {finding.Code} | {Cell(finding.Object)} | {Cell(finding.Title)} |");
        }

        foreach (var finding in ordered)
        {
            output.WriteLine();
            output.WriteLine($"## {finding.Code} {AuditReport.SeverityName(finding.Severity)}: `{finding.Object}`");
            output.WriteLine();
            output.WriteLine(finding.Title);
            output.WriteLine();
            output.WriteLine($"- **Why:** {finding.Why}");
            output.WriteLine($"- **Fix:** {finding.Fix}");
        }

        output.WriteLine();
        output.WriteLine(Totals(run));
    }

    private static List<AuditRun.Finding> Ordered(AuditRun run) =>
        [.. run.Findings.OrderBy(f => f.Severity).ThenBy(f => f.Code, StringComparer.Ordinal).ThenBy(f => f.Object, StringComparer.Ordinal)];

    private static string Summary(AuditReport report) =>
        $"{report.Tables.Count} tenant table(s) (column {string.Join(" or ", report.TenantColumns)}), "
        + $"{report.Tables.Count(t => t.RowSecurity)} protected by Row-Level Security.";

    private static string Totals(AuditRun run) => string.Create(CultureInfo.InvariantCulture,
        $"{Count(run.Count(Severity.Error), "error")}, {Count(run.Count(Severity.Warning), "warning")}, {run.Count(Severity.Info)} info.");

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");

    private static string Styled(AuditSeverity severity) => severity switch
    {
        AuditSeverity.Error => "[red]error[/]",
        AuditSeverity.Warning => "[yellow]warning[/]",
        _ => "[blue]info[/]",
    };

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";
}
