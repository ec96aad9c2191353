using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// <c>ns/unit</c> for <see cref="GuardWorstCase"/> arguments: the mean time divided by the case's size (arms, rows,
/// statements, characters). Flat across the three sizes of a shape means linear; other rows show <c>-</c>.
/// </summary>
internal sealed class PerUnitColumn : IColumn
{
    public string Id => nameof(PerUnitColumn);

    public string ColumnName => "ns/unit";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 1;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Mean time of a worst case divided by its size in units (arms, rows, statements, characters, levels)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (benchmarkCase.Parameters.Items.Select(p => p.Value).OfType<GuardWorstCase>().FirstOrDefault() is not { } worstCase)
        {
            return "-";
        }

        var meanNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return meanNanoseconds is > 0
            ? (meanNanoseconds.Value / worstCase.Units).ToString("F1", style?.CultureInfo ?? CultureInfo.InvariantCulture)
            : "NA";
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
