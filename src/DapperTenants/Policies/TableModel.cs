namespace DapperTenants.Policies;

/// <summary>What the <see cref="RlsAttribute"/> types say about one table.</summary>
/// <param name="Schema">The schema, unquoted.</param>
/// <param name="Table">The table, unquoted.</param>
/// <param name="TenantColumn">The tenant column, unquoted.</param>
/// <param name="Type">The tenant property's type.</param>
/// <param name="SharedRows">Whether NULL-tenant rows are readable by every tenant.</param>
/// <param name="Sources">The classes that map the table, each with its tenant property (<c>Ns.Order.Tenant</c>).</param>
internal sealed record TableModel(string Schema, string Table, string TenantColumn, TenantSqlType Type, bool SharedRows, IReadOnlyList<string> Sources)
{
    /// <summary>The table's name as SQL writes it: <c>"public"."orders"</c>.</summary>
    public string QualifiedName => Identifiers.Qualify(Schema, Table);

    /// <summary>The mapping classes and properties, for messages.</summary>
    public string Origin => string.Join(", ", Sources);
}
