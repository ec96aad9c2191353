using System.Globalization;
using System.Text;

namespace DapperTenants.Benchmarks.Charts;

/// <summary>Reads the CSV reports: RFC 4180 quoting, invariant numbers, units in the header.</summary>
internal static class ResultsCsv
{
    public static IReadOnlyList<ResultRow> Read(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).Select(Split).ToList();
        if (lines.Count < 2)
        {
            return [];
        }

        var header = lines[0];
        int Column(string name) => header.FindIndex(h => h.Equals(name, StringComparison.Ordinal));
        var method = Column("Method");
        var job = Column("Job");
        var prepare = Column("AutoPrepare");
        // BenchmarkDotNet writes the unit as "μs"; accept "us" too.
        var mean = header.FindIndex(h => h is "Mean [μs]" or "Mean [us]");
        var stdDev = header.FindIndex(h => h is "StdDev [μs]" or "StdDev [us]");
        var ratio = Column("Ratio");
        if (method < 0 || mean < 0)
        {
            throw new InvalidDataException($"{path} has no Method or 'Mean [μs]' column; it was not written by this project's CSV exporter.");
        }

        var rows = new List<ResultRow>();
        foreach (var cells in lines.Skip(1))
        {
            if (!TryNumber(cells[mean], out var meanValue))
            {
                continue; // a failed benchmark: no measurement to draw
            }

            rows.Add(new ResultRow(
                cells[method],
                job >= 0 ? cells[job] : string.Empty,
                prepare >= 0 && bool.TryParse(cells[prepare], out var p) && p,
                meanValue,
                stdDev >= 0 && TryNumber(cells[stdDev], out var sd) ? sd : null,
                ratio >= 0 && TryNumber(cells[ratio], out var r) ? r : null));
        }

        return rows;
    }

    private static bool TryNumber(string text, out double value) =>
        double.TryParse(text.Replace(",", string.Empty, StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    private static List<string> Split(string line)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        cells.Add(cell.ToString());
        return cells;
    }
}
