using System.Collections.Frozen;

namespace DapperTenants.Catalog;

/// <summary>What the first open of a data source learns: the login's attributes and the protected tables.</summary>
internal sealed class TenantCatalog
{
    public TenantCatalog(string role, bool isSuperuser, bool bypassesRls, string searchPathFirstSchema, IEnumerable<ProtectedTable> tables)
    {
        Role = role;
        IsSuperuser = isSuperuser;
        BypassesRls = bypassesRls;
        DefaultSchema = searchPathFirstSchema;
        var all = tables.ToList();
        Tables = all;
        ByQualifiedName = all.ToFrozenDictionary(t => t.Schema + "." + t.Table, StringComparer.Ordinal);
        ByName = all.GroupBy(t => t.Table, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => (IReadOnlyList<ProtectedTable>)g.ToList(), StringComparer.Ordinal);
    }

    /// <summary>The login (<c>current_user</c>) the data source connects as.</summary>
    public string Role { get; }

    public bool IsSuperuser { get; }

    public bool BypassesRls { get; }

    /// <summary>Whether the login's sessions start with <c>standard_conforming_strings = on</c>, as the guard reads SQL.</summary>
    public bool StandardConformingStrings { get; init; } = true;

    /// <summary>The first existing schema of the login's <c>search_path</c>, where unqualified names usually resolve.</summary>
    public string DefaultSchema { get; }

    public IReadOnlyList<ProtectedTable> Tables { get; }

    public FrozenDictionary<string, ProtectedTable> ByQualifiedName { get; }

    public FrozenDictionary<string, IReadOnlyList<ProtectedTable>> ByName { get; }

    /// <summary>Finds a protected table by its (possibly unqualified) name.</summary>
    /// <remarks>An unqualified name that several schemas protect resolves through the default schema, else not at all.</remarks>
    public ProtectedTable? Find(string? schema, string table)
    {
        if (schema is not null)
        {
            return ByQualifiedName.GetValueOrDefault(schema + "." + table);
        }

        if (!ByName.TryGetValue(table, out var candidates))
        {
            return null;
        }

        if (candidates.Count == 1)
        {
            return candidates[0];
        }

        foreach (var candidate in candidates)
        {
            if (candidate.Schema == DefaultSchema)
            {
                return candidate;
            }
        }

        return null;
    }
}
