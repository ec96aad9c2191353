namespace DapperTenants.Catalog;

/// <summary>
/// The one model of a tenant table, shared by every reader of the catalog: the request path (the guard), the
/// installer's planner, the audit and the test kit. <see cref="CatalogReader"/> builds it; nothing else reads tables
/// from the catalog.
/// </summary>
/// <param name="Schema">The schema name, unquoted.</param>
/// <param name="Table">The table name, unquoted.</param>
/// <param name="TenantColumn">The tenant column, unquoted (see <see cref="CatalogReader"/> for how it is found).</param>
/// <param name="TenantType">The tenant column's SQL type, as <c>format_type</c> prints it (for example <c>text</c>, <c>uuid</c>, <c>bigint</c>).</param>
/// <param name="Columns">Every column in table order, for INSERTs without a column list.</param>
/// <remarks>
/// The defaults of the init-only members describe a forced, protected table with one policy on the raw setting, so
/// that a hand-made model (a unit test, a benchmark) reads as a protected table.
/// </remarks>
internal sealed record ProtectedTable(string Schema, string Table, string TenantColumn, string TenantType, IReadOnlyList<string> Columns)
{
    /// <summary>The position of the tenant column in <see cref="Columns"/>, or -1.</summary>
    public int TenantColumnIndex { get; } = IndexOf(Columns, TenantColumn);

    /// <summary>The table's OID (0 in a hand-made model).</summary>
    public uint Oid { get; init; }

    /// <summary>The table as SQL names it, quoted only where needed (<c>format('%I.%I')</c>): <c>public.orders</c>.</summary>
    public string QuotedName { get; init; } = Schema + "." + Table;

    /// <summary><c>pg_class.relkind</c>: <c>r</c> for a table, <c>p</c> for a partitioned table.</summary>
    public char Kind { get; init; } = 'r';

    /// <summary>Row-Level Security is enabled.</summary>
    public bool RowSecurity { get; init; } = true;

    /// <summary>Row-Level Security is forced, so the owner is held to the policies too.</summary>
    public bool ForceRowSecurity { get; init; } = true;

    /// <summary>The owner role.</summary>
    public string Owner { get; init; } = string.Empty;

    /// <summary>The owner is a superuser or has BYPASSRLS.</summary>
    public bool OwnerBypassesRls { get; init; }

    /// <summary>The reading login owns the table, or has its owner's privileges.</summary>
    public bool OwnedByCurrentUser { get; init; }

    /// <summary>The table this one is a partition of, or <see langword="null"/>.</summary>
    public uint? ParentOid { get; init; }

    /// <summary>0 for a table that is no partition, else its depth below the partition root.</summary>
    public int Level { get; init; }

    /// <summary>How the policies pick rows by tenant.</summary>
    public TenantPolicyShape Shape { get; init; } = TenantPolicyShape.Setting;

    /// <summary>Every column with its facts, in table order (empty in a hand-made model).</summary>
    public IReadOnlyList<TableColumn> ColumnFacts { get; init; } = [];

    /// <summary>Every policy on the table, by name.</summary>
    public IReadOnlyList<TablePolicy> Policies { get; init; } = [];

    /// <summary>The unique and primary-key indexes, read only with details (the installer and the audit).</summary>
    public IReadOnlyList<TableIndex> UniqueIndexes { get; init; } = [];

    /// <summary>
    /// The unique and primary-key indexes that do not lead on the tenant column: unique checks ignore Row-Level Security,
    /// so an insert that fails tells one tenant that another has the key. Keys whose every column comes from a sequence
    /// are left out: the shared sequence already shows which values exist (a documented limit).
    /// </summary>
    public IEnumerable<TableIndex> KeysWithoutTenant => Tenant is not { } tenant
        ? []
        : UniqueIndexes.Where(i => i.Columns.Count > 0 && i.Columns[0] != tenant.Number
            && !i.Columns.All(c => ColumnFacts.FirstOrDefault(f => f.Number == c) is { FromSequence: true }));

    /// <summary>A partition.</summary>
    public bool IsPartition => ParentOid is not null;

    /// <summary>
    /// Row-Level Security is enabled and a permissive policy compares the tenant column with the tenant setting or the
    /// signed context: the database isolates the table's rows by tenant, and the guard checks writes to it.
    /// </summary>
    public bool IsProtected => RowSecurity && Shape is TenantPolicyShape.Setting or TenantPolicyShape.Signed;

    /// <summary>The tenant column's facts, or <see langword="null"/> in a hand-made model.</summary>
    public TableColumn? Tenant => Column(TenantColumn);

    /// <summary>A permissive SELECT policy on the tenant setting also admits rows whose tenant is NULL.</summary>
    public bool SharedRows => Tenant is { } tenant
        && Policies.Any(p => p.Permissive && p.Command == "r" && p.Columns.Contains(tenant.Number)
            && (p.Using?.Contains((tenant.Quoted ?? TenantColumn) + " IS NULL", StringComparison.Ordinal) ?? false));

    /// <summary>
    /// Permissive policies that admit rows whatever their tenant: always true, or not reading the tenant column. Being
    /// OR-ed with the tenant policy, each one widens what its roles see or write.
    /// </summary>
    public IEnumerable<TablePolicy> WideningPolicies => Policies.Where(p => p.Permissive
        && (p.AlwaysTrue || (Tenant is { } tenant && !p.Columns.Contains(tenant.Number))));

    /// <summary>What every reader must agree on about this table: the tenant column and how the policies use it.</summary>
    public TableClassification Classification => new(
        QuotedName, TenantColumn, Shape, IsProtected, RowSecurity, ForceRowSecurity, SharedRows, WideningPolicies.Any(), IsPartition);

    /// <summary>The facts of the column <paramref name="name"/>, or <see langword="null"/>.</summary>
    public TableColumn? Column(string name)
    {
        foreach (var column in ColumnFacts)
        {
            if (string.Equals(column.Name, name, StringComparison.Ordinal))
            {
                return column;
            }
        }

        return null;
    }

    private static int IndexOf(IReadOnlyList<string> columns, string column)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (string.Equals(columns[i], column, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
