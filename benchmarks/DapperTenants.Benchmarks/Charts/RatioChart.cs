using System.Globalization;
using System.Net;
using System.Text;
using DapperTenants.Benchmarks.Infrastructure;

namespace DapperTenants.Benchmarks.Charts;

/// <summary>
/// Draws the ratios of scenarios 1 and 2 against the floor (the same statements by hand), and of the signed context
/// against the unsigned one, from the last CSV reports, as a hand-written SVG at <c>benchmarks/results/ratios.svg</c>:
/// one bar per variant and auto-prepare setting — the floor, raw Npgsql + Dapper and the alternatives beside the
/// library — the reference at 1.0 and the issue's target as a dashed line.
/// </summary>
internal static class RatioChart
{
    private const string Floor = "Floor_SameStatementsByHand";
    private const int Width = 980;
    private const int LabelWidth = 330;
    private const int PlotLeft = LabelWidth + 10;
    private const int PlotRight = Width - 70;
    private const int BarHeight = 13;
    private const int RowHeight = 36;
    private const string PrepareOffColor = "#8da0cb";
    private const string PrepareOnColor = "#fc8d62";

    private const string Style = """
        <style>
          .heading { font-size: 17px; font-weight: 600; fill: #111; }
          .title { font-size: 14px; font-weight: 600; fill: #222; }
          .label { font-size: 12.5px; fill: #222; }
          .value { font-size: 11.5px; fill: #222; }
          .note { font-size: 11px; fill: #666; }
        </style>
        <rect width="100%" height="100%" fill="#fff"/>

        """;

    private static readonly Panel[] Panels =
    [
        new("OpenQueryClose", "Scenario 1 · open, one point query by primary key, close · against the floor", 1.05,
        [
            (Floor, "floor: the same statements by hand (reference)", Floor),
            ("TenantConnection_Transaction", "TenantConnection, transaction scope (default)", Floor),
            ("TenantConnection_Session", "TenantConnection, session scope", Floor),
            ("Raw_ExplicitWhere", "raw Npgsql + Dapper, explicit WHERE, no RLS", Floor),
            ("HandWritten_SetConfig", "alternative: set_config, then the query", Floor),
            ("RolePerTenant_SetRole", "alternative: SET ROLE, then the query", Floor),
        ]),
        new("UnitOfWork", "Scenario 2 · unit of work: 3 reads, 2 writes, commit · against the same statements by hand", 1.05,
        [
            (Floor, "the same statements by hand (reference)", Floor),
            ("TenantConnection_Transaction", "TenantConnection, transaction scope (default)", Floor),
            ("Raw_ExplicitWhere", "raw Npgsql + Dapper, explicit WHERE, no RLS", Floor),
            ("HandWritten_SetConfig", "alternative: set_config round trip first", Floor),
            ("RolePerTenant_SetRole", "alternative: SET ROLE round trip first", Floor),
        ]),
        new("SignedContext", "Signed context · against the unsigned TenantConnection", 1.05,
        [
            ("Signed_OpenQueryClose", "open, point query, close", "Unsigned_OpenQueryClose"),
            ("Signed_UnitOfWork", "unit of work", "Unsigned_UnitOfWork"),
            ("Signed_Throughput", "16 concurrent workers (time per lookup)", "Unsigned_Throughput"),
        ]),
    ];

    /// <summary>Whether a summary (by its title) feeds the chart.</summary>
    public static bool Covers(string summaryTitle) => Panels.Any(p => summaryTitle.Contains(p.Scenario, StringComparison.Ordinal));

    /// <summary>Writes the chart from the newest report of each scenario; false when there is none.</summary>
    public static bool Write(BenchPaths paths)
    {
        var sections = new List<(Panel Panel, string File, IReadOnlyList<ResultRow> Rows)>();
        foreach (var panel in Panels)
        {
            var file = Directory.Exists(paths.Results)
                ? Directory.GetFiles(paths.Results, $"*.{panel.Scenario}-report.csv").OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
                : null;
            if (file is null)
            {
                continue;
            }

            var rows = ResultsCsv.Read(file);
            if (rows.Count > 0 && rows.All(r => r.Job.Equals("Dry", StringComparison.OrdinalIgnoreCase)))
            {
                Console.WriteLine($"// {Path.GetFileName(file)} is from a dry run (one cold iteration): not charted.");
                rows = [];
            }

            sections.Add((panel, file, rows));
        }

        if (sections.All(s => s.Rows.Count == 0))
        {
            // Keep the last chart rather than replace it with empty panels.
            Console.Error.WriteLine($"No timed report of scenario 1, 2 or the signed context in {paths.Results}, so {paths.Chart} is left as it is; "
                + "run them first, for example --filter '*OpenQueryClose*' '*UnitOfWork*' '*SignedContext*' --job short.");
            return false;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(paths.Chart)!);
        File.WriteAllText(paths.Chart, Render(sections));
        Console.WriteLine($"// Chart written to {paths.Chart}");
        return true;
    }

    private static string Render(List<(Panel Panel, string File, IReadOnlyList<ResultRow> Rows)> sections)
    {
        var ratios = sections.SelectMany(s => RatiosOf(s.Panel, s.Rows)).Select(r => r.Ratio).Append(1.2).ToList();
        var axisMax = Math.Ceiling(ratios.Max() * 1.08 / 0.5) * 0.5;
        double X(double ratio) => PlotLeft + ((PlotRight - PlotLeft) * ratio / axisMax);

        var body = new StringBuilder();
        var y = 64;
        foreach (var (panel, file, rows) in sections)
        {
            var measured = RatiosOf(panel, rows).ToList();
            var job = rows.Select(r => r.Job).FirstOrDefault(j => j.Length > 0);
            var when = File.GetLastWriteTimeUtc(file).ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
            var source = job is null ? "no timed run yet" : $"job {job} · {when}";
            var noise = rows.Where(r => r.StdDevMicroseconds is not null).Select(r => r.StdDevMicroseconds!.Value / r.MeanMicroseconds).DefaultIfEmpty(0).Max();
            if (noise > 0.05)
            {
                source += $" · NOISY: StdDev up to {noise:P0} of a mean, ratios are indicative only";
            }

            body.Append(Text(16, y, panel.Title, "title"));
            body.Append(Text(16, y + 18, $"{source} · target ≤ {panel.Target.ToString("0.00", CultureInfo.InvariantCulture)}× (dashed red)", "note"));
            y += 34;
            var top = y;
            foreach (var (method, label, _) in panel.Methods)
            {
                body.Append(Text(LabelWidth, y + BarHeight + 4, label, "label", anchor: "end"));
                var offset = 0;
                foreach (var prepare in new[] { false, true })
                {
                    var bar = measured.FirstOrDefault(m => m.Method == method && m.AutoPrepare == prepare);
                    var barY = y + offset;
                    if (bar.Method is null)
                    {
                        body.Append(Text(PlotLeft + 4, barY + BarHeight - 2, "not measured", "note"));
                    }
                    else
                    {
                        var color = prepare ? PrepareOnColor : PrepareOffColor;
                        body.Append(CultureInfo.InvariantCulture, $"""<rect x="{PlotLeft}" y="{barY}" width="{X(bar.Ratio) - PlotLeft:F1}" height="{BarHeight}" fill="{color}"/>""").Append('\n');
                        body.Append(Text((int)X(bar.Ratio) + 4, barY + BarHeight - 2, bar.Ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×", "value"));
                    }

                    offset += BarHeight + 2;
                }

                y += RowHeight;
            }

            body.Append(CultureInfo.InvariantCulture, $"""<line x1="{X(1):F1}" y1="{top - 4}" x2="{X(1):F1}" y2="{y - 4}" stroke="#333" stroke-width="1.5"/>""").Append('\n');
            body.Append(CultureInfo.InvariantCulture, $"""<line x1="{X(panel.Target):F1}" y1="{top - 4}" x2="{X(panel.Target):F1}" y2="{y - 4}" stroke="#d62728" stroke-width="1.5" stroke-dasharray="5,4"/>""").Append('\n');
            y += 22;
        }

        var axis = new StringBuilder();
        var step = axisMax > 2.5 ? 0.5 : 0.25;
        for (var tick = 0.0; tick <= axisMax + 1e-9; tick += step)
        {
            var x = X(tick);
            axis.Append(CultureInfo.InvariantCulture, $"""<line x1="{x:F1}" y1="56" x2="{x:F1}" y2="{y - 18}" stroke="#e5e5e5"/>""").Append('\n');
            axis.Append(Text((int)x, y - 4, tick.ToString("0.00", CultureInfo.InvariantCulture) + "×", "note", anchor: "middle"));
        }

        var height = y + 58;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" viewBox="0 0 {Width} {height}" font-family="Segoe UI, Helvetica, Arial, sans-serif">""").Append('\n');
        svg.Append(Style);
        svg.Append(Text(16, 26, "DapperTenants: time relative to the floor, the same statements by hand (lower is better)", "heading"));
        svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{PlotLeft}" y="36" width="12" height="12" fill="{PrepareOffColor}"/>""").Append('\n');
        svg.Append(Text(PlotLeft + 16, 46, "Max Auto Prepare = 0", "label"));
        svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{PlotLeft + 170}" y="36" width="12" height="12" fill="{PrepareOnColor}"/>""").Append('\n');
        svg.Append(Text(PlotLeft + 186, 46, $"Max Auto Prepare = {BenchDataSources.MaxAutoPrepare}", "label"));
        svg.Append(axis).Append(body);
        svg.Append(Text(16, height - 26, "Ratio = mean time / mean time of the panel's reference with the same auto-prepare setting, from BenchmarkDotNet's CSV report.", "note"));
        svg.Append(Text(16, height - 12, "Alternatives: the target is TenantConnection ≤ 0.80× their time, i.e. their bar ≥ 1.25× TenantConnection's.", "note"));
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>
    /// Mean over the reference's mean with the same auto-prepare setting (BenchmarkDotNet's Ratio column is the mean of
    /// a ratio distribution, which a single noisy baseline iteration can push away from 1.00 even for the baseline itself).
    /// </summary>
    private static IEnumerable<(string Method, bool AutoPrepare, double Ratio)> RatiosOf(Panel panel, IReadOnlyList<ResultRow> rows)
    {
        foreach (var row in rows)
        {
            var reference = panel.Methods.FirstOrDefault(m => m.Method == row.Method).Reference;
            var baseline = reference is null ? null : rows.FirstOrDefault(r => r.Method == reference && r.AutoPrepare == row.AutoPrepare);
            var ratio = baseline is not null ? row.MeanMicroseconds / baseline.MeanMicroseconds : row.Ratio ?? double.NaN;
            if (!double.IsNaN(ratio))
            {
                yield return (row.Method, row.AutoPrepare, ratio);
            }
        }
    }

    private static string Text(int x, int y, string text, string cssClass, string anchor = "start") =>
        string.Create(CultureInfo.InvariantCulture, $"""<text x="{x}" y="{y}" class="{cssClass}" text-anchor="{anchor}">{WebUtility.HtmlEncode(text)}</text>""") + "\n";

    private sealed record Panel(string Scenario, string Title, double Target, (string Method, string Label, string Reference)[] Methods);
}
