using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// <c>MB/s</c>: the input one invocation of a benchmark method processes, divided by its mean time
/// (1 MB = 10⁶ bytes); other methods show <c>-</c>.
/// </summary>
internal sealed class MegabytesPerSecondColumn : IColumn
{
    private readonly string _method;
    private readonly Func<long> _bytesPerInvocation;

    /// <param name="method">The benchmark method the column applies to.</param>
    /// <param name="bytesPerInvocation">The input size; called in the host process, so it must be deterministic.</param>
    public MegabytesPerSecondColumn(string method, Func<long> bytesPerInvocation)
    {
        _method = method;
        _bytesPerInvocation = bytesPerInvocation;
    }

    public string Id => nameof(MegabytesPerSecondColumn) + "." + _method;

    public string ColumnName => "MB/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => $"Input of {_method} (10^6 bytes) processed per second, from the mean";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (benchmarkCase.Descriptor.WorkloadMethod.Name != _method)
        {
            return "-";
        }

        var meanNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (meanNanoseconds is not > 0)
        {
            return "NA";
        }

        // bytes / ns * 10^9 = bytes/s; / 10^6 = MB/s. No thousands separator: the CSV report is comma-separated.
        var megabytesPerSecond = _bytesPerInvocation() * 1_000.0 / meanNanoseconds.Value;
        return megabytesPerSecond.ToString("F1", style?.CultureInfo ?? CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
