using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using Perfolizer.Horology;
using Perfolizer.Metrology;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>The configuration every run shares; jobs (<c>--job short</c>, <c>--job dry</c>) come from the command line.</summary>
internal static class BenchConfig
{
    /// <summary>
    /// The CSV report that <see cref="Charts.RatioChart"/> reads: invariant culture, fixed units in the header
    /// (<c>Mean [μs]</c>, <c>Allocated [B]</c>), bare numbers in the cells.
    /// </summary>
    public static readonly IExporter Csv = new CsvExporter(
        CsvSeparator.Comma,
        new SummaryStyle(CultureInfo.InvariantCulture, printUnitsInHeader: true, SizeUnit.B, TimeUnit.Microsecond,
            printUnitsInContent: false, printZeroValuesInContent: true, maxParameterColumnWidth: 40));

    public static IConfig Create(BenchPaths paths) =>
        ManualConfig.CreateEmpty()
            .AddLogger(ConsoleLogger.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddAnalyser(DefaultConfig.Instance.GetAnalysers().ToArray())
            .AddValidator(DefaultConfig.Instance.GetValidators().ToArray())
            .AddExporter(MarkdownExporter.GitHub, Csv)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithSummaryStyle(SummaryStyle.Default.WithCultureInfo(CultureInfo.InvariantCulture))
            .WithArtifactsPath(paths.Artifacts);
}
