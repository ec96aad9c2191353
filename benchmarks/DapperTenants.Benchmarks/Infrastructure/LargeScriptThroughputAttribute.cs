using BenchmarkDotNet.Attributes;
using DapperTenants.Benchmarks.Scenarios;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>Adds the <c>MB/s</c> column of <see cref="GuardCost.Lexer_LargeScript"/> (input: <see cref="GuardWorkload.LargeScript"/>).</summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class LargeScriptThroughputAttribute : ColumnConfigBaseAttribute
{
    public LargeScriptThroughputAttribute()
        : base(new MegabytesPerSecondColumn(nameof(GuardCost.Lexer_LargeScript), () => GuardWorkload.LargeScript.Length))
    {
    }
}
