namespace DapperTenants.Catalog;

/// <summary>A column of a table in the catalog model.</summary>
/// <param name="Name">The column name, unquoted.</param>
/// <param name="Number">Its <c>attnum</c>.</param>
/// <param name="Type">Its SQL type as <c>format_type</c> prints it (for example <c>text</c>, <c>uuid</c>, <c>character varying(20)</c>).</param>
/// <param name="TypeOid">Its type's OID.</param>
/// <param name="NotNull">Declared NOT NULL.</param>
/// <remarks>
/// <see cref="Quoted"/>, <see cref="Default"/> and <see cref="LeadsIndex"/> are read only when the reader is asked for
/// details (the installer and the audit); the request path's first open leaves them out.
/// </remarks>
internal sealed record TableColumn(string Name, int Number, string Type, uint TypeOid, bool NotNull)
{
    /// <summary>The name as <c>quote_ident</c> prints it (quoted only when needed), or <see langword="null"/> without details.</summary>
    public string? Quoted { get; init; }

    /// <summary>The column's default as <c>pg_get_expr</c> prints it, or <see langword="null"/>.</summary>
    public string? Default { get; init; }

    /// <summary>Some index has this column as its leading column.</summary>
    public bool LeadsIndex { get; init; }

    /// <summary>An identity column (<c>GENERATED … AS IDENTITY</c>).</summary>
    public bool Identity { get; init; }

    /// <summary>Its values come from a sequence: an identity column, or a default that calls <c>nextval</c> (serial).</summary>
    public bool FromSequence => Identity || (Default?.StartsWith("nextval(", StringComparison.Ordinal) ?? false);
}
