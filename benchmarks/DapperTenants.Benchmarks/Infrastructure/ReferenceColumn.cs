using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// A column that compares each case with another method of the same class, run with the same parameters and job:
/// its time against that method's (<see cref="ReferenceKind.TimeRatio"/>), its allocations minus that method's
/// (<see cref="ReferenceKind.AllocatedDelta"/>), or that method's time against its own (<see cref="ReferenceKind.OursOverThis"/>,
/// for the alternatives: the library's time as a fraction of theirs).
/// </summary>
/// <remarks>Ratios of means, like the chart's; BenchmarkDotNet's own <c>Ratio</c> column stays the ratio to the baseline.</remarks>
internal sealed class ReferenceColumn(string columnName, string legend, string referenceMethod, ReferenceKind kind, Func<string, bool>? appliesTo = null) : IColumn
{
    public string Id => nameof(ReferenceColumn) + "." + columnName;

    public string ColumnName => columnName;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => (int)kind;

    public bool IsNumeric => true;

    public UnitType UnitType => kind == ReferenceKind.AllocatedDelta ? UnitType.Size : UnitType.Dimensionless;

    public string Legend => legend;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var culture = style?.CultureInfo ?? CultureInfo.InvariantCulture;
        var method = benchmarkCase.Descriptor.WorkloadMethod.Name;
        if (appliesTo is not null && !appliesTo(method))
        {
            return "-";
        }

        var reference = summary.BenchmarksCases.FirstOrDefault(c =>
            c.Descriptor.Type == benchmarkCase.Descriptor.Type
            && c.Descriptor.WorkloadMethod.Name == referenceMethod
            && c.Parameters.DisplayInfo == benchmarkCase.Parameters.DisplayInfo
            && c.Job.DisplayInfo == benchmarkCase.Job.DisplayInfo
            && c.Descriptor.Categories.SequenceEqual(benchmarkCase.Descriptor.Categories));
        if (reference is null)
        {
            return "-";
        }

        switch (kind)
        {
            case ReferenceKind.AllocatedDelta:
            {
                var own = summary[benchmarkCase]?.GcStats.GetBytesAllocatedPerOperation(benchmarkCase);
                var other = summary[reference]?.GcStats.GetBytesAllocatedPerOperation(reference);
                return own is { } a && other is { } b ? (a - b).ToString("+#,0 B;-#,0 B;0 B", culture) : "NA";
            }

            default:
            {
                var own = summary[benchmarkCase]?.ResultStatistics?.Mean;
                var other = summary[reference]?.ResultStatistics?.Mean;
                if (own is not > 0 || other is not > 0)
                {
                    return "NA";
                }

                var ratio = kind == ReferenceKind.TimeRatio ? own.Value / other.Value : other.Value / own.Value;
                return ratio.ToString("F2", culture);
            }
        }
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
