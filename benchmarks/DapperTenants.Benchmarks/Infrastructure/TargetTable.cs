using System.Globalization;
using System.Text;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// The issue's targets, computed from one diagnosis run: each as measured here (loopback, interleaved wall time) and as
/// computed for a real network by <see cref="NetworkModel"/>; met or missed on the measured figure.
/// </summary>
internal sealed class TargetTable
{
    private readonly List<string> _rows = [];

    /// <summary>A ratio target: <paramref name="numerator"/>'s time ÷ <paramref name="denominator"/>'s ≤ <paramref name="limit"/>.</summary>
    public void Ratio(string target, double limit, bool autoPrepare, IReadOnlyList<MeasuredRow> rows, string numerator, string denominator)
    {
        var top = rows.FirstOrDefault(r => r.Name == numerator);
        var bottom = rows.FirstOrDefault(r => r.Name == denominator);
        if (top is null || bottom is null)
        {
            return;
        }

        var measured = top.Wall / bottom.Wall;
        var computed = NetworkModel.RoundTripTimes.Select(rtt => NetworkModel.Time(top, rtt) / NetworkModel.Time(bottom, rtt));
        _rows.Add(string.Create(CultureInfo.InvariantCulture,
            $"| {target} ≤ {limit:0.00}× | {Prepare(autoPrepare)} | {measured:F3} | {string.Join(" | ", computed.Select(c => Format(c, "F3")))} | {(measured <= limit ? "met" : "missed")} |"));
    }

    /// <summary>An allocation target: <paramref name="numerator"/>'s bytes per operation − <paramref name="denominator"/>'s ≤ <paramref name="limit"/>.</summary>
    public void Allocation(string target, double limit, bool autoPrepare, IReadOnlyList<MeasuredRow> rows, string numerator, string denominator)
    {
        var top = rows.FirstOrDefault(r => r.Name == numerator);
        var bottom = rows.FirstOrDefault(r => r.Name == denominator);
        if (top is null || bottom is null)
        {
            return;
        }

        var delta = top.Allocated - bottom.Allocated;
        _rows.Add(string.Create(CultureInfo.InvariantCulture,
            $"| {target} ≤ +{limit:0} B | {Prepare(autoPrepare)} | {delta:+0;-0;0} B | {string.Join(" | ", NetworkModel.RoundTripTimes.Select(_ => "-"))} | {(delta <= limit ? "met" : "missed")} |"));
    }

    public void Append(StringBuilder report)
    {
        report.AppendLine();
        report.AppendLine("Targets, from the tables above (measured: loopback wall-time ratio of this run; computed: the real-network model):");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"| target | Max Auto Prepare | measured | {string.Join(" | ", NetworkModel.RoundTripTimes.Select(rtt => "computed at " + NetworkModel.Label(rtt)))} | met? (measured) |");
        report.AppendLine(CultureInfo.InvariantCulture, $"|---|---:|---:|{string.Concat(NetworkModel.RoundTripTimes.Select(_ => "---:|"))}---|");
        foreach (var row in _rows)
        {
            report.AppendLine(row);
        }
    }

    private static string Prepare(bool autoPrepare) => (autoPrepare ? BenchDataSources.MaxAutoPrepare : 0).ToString(CultureInfo.InvariantCulture);

    private static string Format(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";
}
