namespace DapperTenants.Catalog;

/// <summary>What a reader of the catalog model asks for, beyond the tables every reader gets.</summary>
/// <param name="SettingName">The tenant setting the policies read.</param>
/// <remarks>
/// Every request reads the same tables: those with Row-Level Security enabled or a policy, and their partitions.
/// <see cref="TenantColumnHints"/> and <see cref="Requested"/> only add tables that have neither yet; they never change
/// how a table with policies is classified, so every reader classifies the same table the same way.
/// </remarks>
internal sealed record CatalogRequest(string SettingName)
{
    /// <summary>Column names, in order of preference, that mark a tenant table that has no tenant policy yet (the audit's).</summary>
    public IReadOnlyList<string> TenantColumnHints { get; init; } = [];

    /// <summary>Tables with the tenant column a model gives them (the installer's [Rls] types).</summary>
    public IReadOnlyList<(string Schema, string Table, string Column)> Requested { get; init; } = [];

    /// <summary>Also read each column's quoted name, default and whether an index leads on it (not on the request path).</summary>
    public bool Details { get; init; }

    /// <summary>Each catalog batch's timeout in seconds (0: no limit); <see langword="null"/> keeps the connection's Command Timeout (the audit's).</summary>
    public int? CommandTimeout { get; init; }
}
