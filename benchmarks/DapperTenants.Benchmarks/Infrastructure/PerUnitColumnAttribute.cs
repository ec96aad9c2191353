using BenchmarkDotNet.Attributes;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>Adds the <c>ns/unit</c> column of <see cref="GuardWorstCase"/> benchmarks.</summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class PerUnitColumnAttribute : ColumnConfigBaseAttribute
{
    public PerUnitColumnAttribute()
        : base(new PerUnitColumn())
    {
    }
}
