using System.Globalization;
using Spectre.Console;

namespace DapperTenants.Cli.Audit;

/// <summary>Writes an <see cref="AuditReport"/> for people: a summary table, then each finding with why and how to fix it.</summary>
internal static class AuditRenderer
{
    public static void Write(CliContext context, AuditReport report)
    {
        var console = context.Console;
        var snapshot = report.Snapshot;
        var role = snapshot.AppRole is { } r ? $", app role [bold]{Markup.Escape(r.Name)}[/]" : string.Empty;
        console.MarkupLine($"Audit of [bold]{Markup.Escape(snapshot.Database)}[/] on PostgreSQL {Markup.Escape(snapshot.ServerVersion)}{role}");
        console.MarkupLine(
            $"{snapshot.Tables.Count} tenant table(s) (column {Markup.Escape(string.Join(" or ", snapshot.TenantColumns))}), "
            + $"{snapshot.Tables.Count(t => t.RlsEnabled)} protected by Row-Level Security.");
        if (report.IgnoredCodes.Count > 0)
        {
            console.MarkupLine($"Ignored: {Markup.Escape(string.Join(", ", report.IgnoredCodes.Order(StringComparer.Ordinal)))}");
        }

        console.WriteLine();
        if (report.Findings.Count == 0)
        {
            console.MarkupLine("[green]No findings.[/]");
            return;
        }

        var ordered = report.Findings.OrderBy(f => f.Severity).ThenBy(f => f.Code, StringComparer.Ordinal).ThenBy(f => f.Object, StringComparer.Ordinal).ToList();
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

        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"{Count(report.Count(Severity.Error), "error")}, {Count(report.Count(Severity.Warning), "warning")}, {report.Count(Severity.Info)} info."));
    }

    private static string Styled(Severity severity) => severity switch
    {
        Severity.Error => "[red]error[/]",
        Severity.Warning => "[yellow]warning[/]",
        _ => "[blue]info[/]",
    };

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";
}
