namespace DapperTenants.Policies;

/// <summary>What the installer was asked about the signed context: the keys to install and the key ids to retire.</summary>
/// <param name="Keys">Keys to install (or keep), in the order given; any key makes the policies read the verifier.</param>
/// <param name="Retired">Key ids to remove from the key table.</param>
internal sealed record SignedContextModel(IReadOnlyList<SigningKeyModel> Keys, IReadOnlyList<string> Retired)
{
    public static readonly SignedContextModel Unsigned = new([], []);

    /// <summary>Whether the policies read the tenant from the verifier.</summary>
    public bool Signed => Keys.Count > 0;

    /// <summary>Whether the installer has anything to do with the signed context's objects.</summary>
    public bool Touched => Signed || Retired.Count > 0;
}
