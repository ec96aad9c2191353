namespace DapperTenants.Testing;

/// <summary>The verdict of <see cref="TenantSchemaVerifier"/> on one table.</summary>
public enum TableVerificationStatus
{
    /// <summary>A check or probe failed: the table is not isolated as the [Rls] type says.</summary>
    Failed = 0,

    /// <summary>No check failed, but the verifier could not seed or probe the table (DT119): its isolation is unproven.</summary>
    NotVerified = 1,

    /// <summary>Every check and probe passed.</summary>
    Verified = 2,
}
