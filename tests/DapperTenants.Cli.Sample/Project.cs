namespace DapperTenants.Cli.Sample;

/// <summary>Protected by its <c>TenantId</c> property (column <c>tenant_id</c>).</summary>
[Rls("projects")]
public sealed class Project
{
    public string TenantId { get; set; } = string.Empty;

    public int Id { get; set; }

    public string Name { get; set; } = string.Empty;
}
