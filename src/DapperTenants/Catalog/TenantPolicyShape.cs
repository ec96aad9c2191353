namespace DapperTenants.Catalog;

/// <summary>How the policies of a table pick rows by tenant: the one classification every reader of the catalog shares.</summary>
internal enum TenantPolicyShape
{
    /// <summary>The table has no policy: with Row-Level Security enabled PostgreSQL then denies every row.</summary>
    None = 0,

    /// <summary>A permissive policy compares the tenant column with the raw tenant setting (<c>current_setting</c>).</summary>
    Setting = 1,

    /// <summary>Every permissive tenant policy takes the tenant from the signed context's verifier, <c>dapper_tenants.tenant_of</c>.</summary>
    Signed = 2,

    /// <summary>Policies exist, but none of them compares the tenant column with the setting or the verifier.</summary>
    Other = 3,
}
