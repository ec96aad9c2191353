namespace DapperTenants;

/// <summary>A column of a table in a tenant archive.</summary>
public sealed class TenantArchiveColumn
{
    internal TenantArchiveColumn(string name, string type)
    {
        Name = name;
        Type = type;
    }

    /// <summary>The column name, unquoted.</summary>
    public string Name { get; }

    /// <summary>Its SQL type as PostgreSQL's <c>format_type</c> prints it: <c>text</c>, <c>numeric(10,2)</c>, <c>timestamp with time zone</c>.</summary>
    public string Type { get; }
}
