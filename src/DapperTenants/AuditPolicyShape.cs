namespace DapperTenants;

/// <summary>How the policies of an <see cref="AuditTable"/> pick rows by tenant.</summary>
public enum AuditPolicyShape
{
    /// <summary>The table has no policy.</summary>
    None = 0,

    /// <summary>A policy compares the tenant column with the raw tenant setting (<c>current_setting</c>).</summary>
    Setting = 1,

    /// <summary>Every tenant policy takes the tenant from the signed context's verifier.</summary>
    SignedContext = 2,

    /// <summary>Policies exist, but none compares the tenant column with the tenant setting or the signed context.</summary>
    Other = 3,
}
