namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>What a <see cref="ReferenceColumn"/> shows.</summary>
internal enum ReferenceKind
{
    /// <summary>This case's mean time ÷ the reference method's.</summary>
    TimeRatio,

    /// <summary>This case's allocated bytes per operation − the reference method's.</summary>
    AllocatedDelta,

    /// <summary>The reference method's mean time ÷ this case's: how the library compares with an alternative.</summary>
    OursOverThis,
}
