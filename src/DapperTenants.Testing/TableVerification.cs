namespace DapperTenants.Testing;

/// <summary>What <see cref="TenantSchemaVerifier"/> found on one table an [Rls] type maps.</summary>
public sealed class TableVerification
{
    internal TableVerification(string name, string tenantColumn, IReadOnlyList<string> sources, IReadOnlyList<AuditFinding> findings)
    {
        Name = name;
        TenantColumn = tenantColumn;
        Sources = sources;
        Findings = findings;
        Status = findings.Count == 0 ? TableVerificationStatus.Verified
            : findings.All(f => f.Code == AuditCodes.TableNotVerified) ? TableVerificationStatus.NotVerified
            : TableVerificationStatus.Failed;
    }

    /// <summary>The table as SQL names it, quoted only where needed: <c>public.orders</c>.</summary>
    public string Name { get; }

    /// <summary>The tenant column the [Rls] type names, unquoted.</summary>
    public string TenantColumn { get; }

    /// <summary>The classes and tenant properties that map the table (<c>Shop.Order.Tenant</c>).</summary>
    public IReadOnlyList<string> Sources { get; }

    /// <summary>The verdict: <see cref="TableVerificationStatus.Verified"/> only when <see cref="Findings"/> is empty.</summary>
    public TableVerificationStatus Status { get; }

    /// <summary>The findings on this table, ordered by code.</summary>
    public IReadOnlyList<AuditFinding> Findings { get; }

    /// <summary>The name and the verdict.</summary>
    /// <returns><c>public.orders: Verified</c>.</returns>
    public override string ToString() => $"{Name}: {Status}";
}
