namespace DapperTenants;

/// <summary>
/// A tenant table as the audit saw it: the same classification the request path's guard and the policy installer use.
/// </summary>
public sealed class AuditTable
{
    internal AuditTable(
        string name, string schema, string table, string tenantColumn, bool rowSecurity, bool forceRowSecurity, bool isProtected,
        AuditPolicyShape policyShape, bool sharedRows, bool isPartition)
    {
        Name = name;
        Schema = schema;
        Table = table;
        TenantColumn = tenantColumn;
        RowSecurity = rowSecurity;
        ForceRowSecurity = forceRowSecurity;
        IsProtected = isProtected;
        PolicyShape = policyShape;
        SharedRows = sharedRows;
        IsPartition = isPartition;
    }

    /// <summary>The table as SQL names it, quoted only where needed: <c>public.orders</c>.</summary>
    public string Name { get; }

    /// <summary>The schema, unquoted.</summary>
    public string Schema { get; }

    /// <summary>The table, unquoted.</summary>
    public string Table { get; }

    /// <summary>The tenant column, unquoted: the column the tenant policies compare, else the first of <see cref="TenantAuditOptions.TenantColumns"/> it has.</summary>
    public string TenantColumn { get; }

    /// <summary>Row-Level Security is enabled.</summary>
    public bool RowSecurity { get; }

    /// <summary>Row-Level Security is forced, so the owner is held to the policies too.</summary>
    public bool ForceRowSecurity { get; }

    /// <summary>Row-Level Security is enabled and a policy compares the tenant column with the tenant setting or the signed context.</summary>
    public bool IsProtected { get; }

    /// <summary>How the policies pick rows by tenant.</summary>
    public AuditPolicyShape PolicyShape { get; }

    /// <summary>A SELECT policy also admits rows whose tenant is NULL.</summary>
    public bool SharedRows { get; }

    /// <summary>The table is a partition of another.</summary>
    public bool IsPartition { get; }

    /// <summary>The name and classification.</summary>
    /// <returns><c>public.orders (tenant, Setting, protected)</c>.</returns>
    public override string ToString() => $"{Name} ({TenantColumn}, {PolicyShape}, {(IsProtected ? "protected" : "not protected")})";
}
