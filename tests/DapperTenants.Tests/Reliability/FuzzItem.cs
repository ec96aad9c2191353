namespace DapperTenants.Tests.Reliability;

/// <summary>The fuzzer's table as a model, for the installer of the signed context's setups.</summary>
[Rls("fuzz_items")]
public sealed class FuzzItem
{
    public long Id { get; set; }

    public string Tenant { get; set; } = "";
}
