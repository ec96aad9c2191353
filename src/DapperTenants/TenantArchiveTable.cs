namespace DapperTenants;

/// <summary>One table of a tenant archive: which file holds its rows, their columns, count and checksum.</summary>
public sealed class TenantArchiveTable
{
    internal TenantArchiveTable(string schema, string table, string file, string tenantColumn, IReadOnlyList<TenantArchiveColumn> columns, long rows, string sha256)
    {
        Schema = schema;
        Table = table;
        File = file;
        TenantColumn = tenantColumn;
        Columns = columns;
        Rows = rows;
        Sha256 = sha256;
    }

    /// <summary>The schema, unquoted.</summary>
    public string Schema { get; }

    /// <summary>The table, unquoted.</summary>
    public string Table { get; }

    /// <summary>The archive entry that holds the rows, in PostgreSQL's COPY text format: <c>tables/001.copy</c>.</summary>
    public string File { get; }

    /// <summary>The tenant column, unquoted.</summary>
    public string TenantColumn { get; }

    /// <summary>The columns of the file, in its order (generated columns are left out).</summary>
    public IReadOnlyList<TenantArchiveColumn> Columns { get; }

    /// <summary>How many rows the file holds (one line each).</summary>
    public long Rows { get; }

    /// <summary>The SHA-256 of the file's bytes, lowercase hexadecimal.</summary>
    public string Sha256 { get; }
}
