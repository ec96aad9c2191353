using BenchmarkDotNet.Configs;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>The <see cref="ReferenceColumn"/> sets that scenario classes add with <c>[Config(typeof(…))]</c>.</summary>
internal static class RelativeColumns
{
    public const string Raw = "Raw_ExplicitWhere";
    public const string Ours = "TenantConnection_Transaction";

    /// <summary>Whether a method is an alternative users would pick instead of the library (the 0.80× target).</summary>
    public static bool IsAlternative(string method) =>
        method.StartsWith("HandWritten_", StringComparison.Ordinal) || method.StartsWith("RolePerTenant_", StringComparison.Ordinal);

    /// <summary>
    /// Scenarios 1 and 2, whose baseline is the floor: the time and the allocations against raw Npgsql + Dapper, and the
    /// library's time against each alternative's.
    /// </summary>
    public class AgainstRawAndOurs : ManualConfig
    {
        public AgainstRawAndOurs() => AddColumn(
            new ReferenceColumn("vs raw", "Mean ÷ the mean of Raw_ExplicitWhere (raw Npgsql + Dapper, explicit WHERE) with the same parameters", Raw, ReferenceKind.TimeRatio),
            new ReferenceColumn("Alloc vs raw", "Allocated per operation − Raw_ExplicitWhere's (target for TenantConnection: ≤ +256 B)", Raw, ReferenceKind.AllocatedDelta),
            new ReferenceColumn("ours ÷ this", "TenantConnection_Transaction's mean ÷ this alternative's mean (target: ≤ 0.80)", Ours, ReferenceKind.OursOverThis, IsAlternative));
    }

    /// <summary>Scenario 1: <see cref="AgainstRawAndOurs"/>, and the strict registry's time against the library's default (target ≤ 1.02).</summary>
    public sealed class AgainstRawOursAndStrict : AgainstRawAndOurs
    {
        public AgainstRawOursAndStrict() => AddColumn(
            new ReferenceColumn("vs ours", "Mean ÷ the mean of TenantConnection_Transaction (target for Strict_TenantConnection: ≤ 1.02)", Ours, ReferenceKind.TimeRatio,
                method => method.StartsWith("Strict_", StringComparison.Ordinal)));
    }
}
