namespace DapperTenants;

/// <summary>
/// Marks a Dapper POCO as a tenant-owned table: <see cref="PolicyInstaller"/> gives its table a Row-Level Security
/// policy that shows and accepts only the rows of the connection's tenant.
/// </summary>
/// <remarks>
/// The table name is the constructor argument, else <c>[Table("name")]</c>, else the class name in snake_case
/// (never pluralized). The tenant column is <see cref="TenantColumn"/>, else the property named <c>Tenant</c> or
/// <c>TenantId</c> (its <c>[Column]</c> name, else snake_case).
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class RlsAttribute : Attribute
{
    /// <summary>Marks the class, naming its table by convention.</summary>
    public RlsAttribute()
    {
    }

    /// <summary>Marks the class and names its table.</summary>
    /// <param name="table">The table name, exactly as in PostgreSQL (it is always quoted).</param>
    public RlsAttribute(string table)
    {
        Table = table;
    }

    /// <summary>The table name given to the constructor, or <see langword="null"/> to use the conventions.</summary>
    public string? Table { get; }

    /// <summary>The schema of the table.</summary>
    /// <value>Defaults to the <c>[Table]</c> attribute's schema, else <c>public</c>.</value>
    public string? Schema { get; set; }

    /// <summary>The tenant column, exactly as in PostgreSQL.</summary>
    /// <value>Defaults to the column of the property named <c>Tenant</c> or <c>TenantId</c>.</value>
    public string? TenantColumn { get; set; }

    /// <summary>Whether rows whose tenant is NULL are shared: readable by every tenant and writable by none.</summary>
    /// <value>Defaults to <see langword="false"/>: a NULL tenant row is visible to no tenant.</value>
    /// <remarks>
    /// The installer adds a second, <c>FOR SELECT</c>-only policy for such rows, so no tenant can update, claim, delete or
    /// create one. A connection without a tenant still sees no rows at all, shared ones included.
    /// </remarks>
    public bool SharedRows { get; set; }
}
