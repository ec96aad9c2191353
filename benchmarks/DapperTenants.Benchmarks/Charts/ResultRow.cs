namespace DapperTenants.Benchmarks.Charts;

/// <summary>One row of a BenchmarkDotNet CSV report, as <see cref="Infrastructure.BenchConfig.Csv"/> writes it.</summary>
internal sealed record ResultRow(string Method, string Job, bool AutoPrepare, double MeanMicroseconds, double? StdDevMicroseconds, double? Ratio);
