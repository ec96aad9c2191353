using Npgsql;
using NpgsqlTypes;

namespace DapperTenants.Catalog;

/// <summary>
/// The one reader of the catalog model (<see cref="ProtectedTable"/>): the request path's first open, the installer and
/// the audit all read tables here, in one round trip each.
/// </summary>
/// <remarks>
/// <para>
/// The tables are those with Row-Level Security enabled or a policy, tables a request names or that have a hinted column,
/// and the partitions of all of them. System schemas are left out.
/// </para>
/// <para>
/// The tenant column is the one column the tenant policies depend on: policies whose expressions name the tenant
/// setting (through <c>current_setting</c> or the signed context's verifier). PostgreSQL records a dependency per
/// column; when the policies depend on several columns, the one they all share is the tenant column. Only a table no
/// such policy decides takes the column a request gives it, else the first hinted column it has; a table with none is
/// left out.
/// </para>
/// </remarks>
internal static partial class CatalogReader
{
    // $1 hinted column names, $2/$3 requested schemas and names.
    private const string TablesCte = """
        with seeds as (
            select c.oid, c.relkind from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p') and n.nspname <> 'information_schema' and n.nspname !~ '^pg_'
              and (c.relrowsecurity
                   or exists (select from pg_policy p where p.polrelid = c.oid)
                   or exists (select from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attname = any($1::text[]))
                   or exists (select from unnest($2::text[], $3::text[]) r(s, t) where r.s = n.nspname and r.t = c.relname))),
        tables as (
            select oid from seeds
            union
            select t.relid from seeds s cross join lateral pg_partition_tree(s.oid) t where s.relkind = 'p' and t.level > 0)

        """;

    private const string TablesSql = TablesCte + """
        select c.oid, n.nspname::text, c.relname::text, format('%I.%I', n.nspname, c.relname), c.relkind::text,
               c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner)::text, o.rolsuper or o.rolbypassrls,
               pg_has_role(c.relowner, 'USAGE'),
               (select i.inhparent from pg_inherits i where i.inhrelid = c.oid and c.relispartition limit 1),
               case when c.relispartition then (select count(*)::int from pg_partition_ancestors(c.oid)) - 1 else 0 end
        from tables t
        join pg_class c on c.oid = t.oid
        join pg_namespace n on n.oid = c.relnamespace
        join pg_roles o on o.oid = c.relowner
        order by n.nspname, c.relname
        """;

    // $4: details (quoted name, default, leading index) or not.
    private const string ColumnsSql = TablesCte + """
        select a.attrelid, a.attname::text, a.attnum::int, format_type(a.atttypid, a.atttypmod), a.atttypid, a.attnotnull,
               case when $4 then quote_ident(a.attname) end,
               case when $4 then pg_get_expr(d.adbin, d.adrelid) end,
               $4 and exists (select from pg_index i where i.indrelid = a.attrelid and i.indkey[0] = a.attnum),
               a.attidentity <> ''
        from tables t
        join pg_attribute a on a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped
        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        order by a.attrelid, a.attnum
        """;

    private const string PoliciesSql = TablesCte + $"""
        select p.oid, p.polrelid, p.polname::text, quote_ident(p.polname), p.polpermissive, p.polcmd::text,
               array(select case when r = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(r)) end from unnest(p.polroles) r order by 1),
               pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid),
               array(select d.refobjsubid::int from pg_depend d
                     where d.classid = 'pg_policy'::regclass and d.objid = p.oid
                       and d.refclassid = 'pg_class'::regclass and d.refobjid = p.polrelid and d.refobjsubid > 0 group by 1 order by 1),
               exists (select from pg_depend d
                       join pg_proc f on f.oid = d.refobjid
                       join pg_namespace fn on fn.oid = f.pronamespace
                       where d.classid = 'pg_policy'::regclass and d.objid = p.oid and d.refclassid = 'pg_proc'::regclass
                         and fn.nspname = '{SignedContextNames.Schema}' and f.proname = '{SignedContextNames.Verifier}')
        from tables t
        join pg_policy p on p.polrelid = t.oid
        order by p.polrelid, p.polname
        """;

    // $4: details. Partial indexes are left out: they do not make a key unique across the table.
    private const string IndexesSql = TablesCte + """
        select i.indrelid, quote_ident(c.relname), i.indisprimary, (i.indkey::int2[])[0:i.indnkeyatts - 1]::int[]
        from tables t
        join pg_index i on i.indrelid = t.oid and i.indisunique and i.indpred is null
        join pg_class c on c.oid = i.indexrelid
        where $4
        order by i.indrelid, c.relname
        """;

    private const string RoleSql = """
        select r.rolname, r.rolsuper, r.rolbypassrls, coalesce((current_schemas(false))[1], 'public'),
               current_setting('standard_conforming_strings') = 'on'
        from pg_roles r where r.rolname = current_user
        """;

    /// <summary>The first open of a data source: the login's attributes and the protected tables, in one round trip.</summary>
    public static TenantCatalog Read(NpgsqlConnection connection, string settingName)
    {
        var request = new CatalogRequest(settingName);
        using var batch = new NpgsqlBatch(connection) { BatchCommands = { new NpgsqlBatchCommand(RoleSql) } };
        AddTableCommands(batch, request);
        using var reader = batch.ExecuteReader();
        reader.Read();
        var (role, super, bypass, schema, standardStrings) = (reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetString(3), reader.GetBoolean(4));
        reader.NextResult();
        var tables = ReadTableSets(reader, request);
        return new TenantCatalog(role, super, bypass, schema, tables.Where(t => t.IsProtected)) { StandardConformingStrings = standardStrings };
    }

    /// <summary>The first open of a data source: the login's attributes and the protected tables, in one round trip.</summary>
    public static async Task<TenantCatalog> ReadAsync(NpgsqlConnection connection, string settingName, CancellationToken cancellationToken)
    {
        var request = new CatalogRequest(settingName);
        var batch = new NpgsqlBatch(connection) { BatchCommands = { new NpgsqlBatchCommand(RoleSql) } };
        await using var batchScope = batch.ConfigureAwait(false);
        AddTableCommands(batch, request);
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var (role, super, bypass, schema, standardStrings) = (reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetString(3), reader.GetBoolean(4));
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var tables = await ReadTableSetsAsync(reader, request, cancellationToken).ConfigureAwait(false);
        return new TenantCatalog(role, super, bypass, schema, tables.Where(t => t.IsProtected)) { StandardConformingStrings = standardStrings };
    }

    /// <summary>Every table of the model that <paramref name="request"/> reaches, in one round trip.</summary>
    public static CatalogTables ReadTables(NpgsqlConnection connection, CatalogRequest request)
    {
        using var batch = new NpgsqlBatch(connection);
        AddTableCommands(batch, request);
        using var reader = batch.ExecuteReader();
        return new CatalogTables(ReadTableSets(reader, request));
    }

    /// <summary>Every table of the model that <paramref name="request"/> reaches, in one round trip.</summary>
    public static async Task<CatalogTables> ReadTablesAsync(NpgsqlConnection connection, CatalogRequest request, CancellationToken cancellationToken)
    {
        var batch = new NpgsqlBatch(connection);
        await using var batchScope = batch.ConfigureAwait(false);
        AddTableCommands(batch, request);
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        return new CatalogTables(await ReadTableSetsAsync(reader, request, cancellationToken).ConfigureAwait(false));
    }

    private static void AddTableCommands(NpgsqlBatch batch, CatalogRequest request)
    {
        var hints = request.TenantColumnHints.ToArray();
        var schemas = request.Requested.Select(r => r.Schema).ToArray();
        var names = request.Requested.Select(r => r.Table).ToArray();
        NpgsqlBatchCommand Command(string sql) => new(sql) { Parameters = { TextArray(hints), TextArray(schemas), TextArray(names) } };
        batch.BatchCommands.Add(Command(TablesSql));
        var columns = Command(ColumnsSql);
        columns.Parameters.Add(new NpgsqlParameter { Value = request.Details, NpgsqlDbType = NpgsqlDbType.Boolean });
        batch.BatchCommands.Add(columns);
        batch.BatchCommands.Add(Command(PoliciesSql));
        var indexes = Command(IndexesSql);
        indexes.Parameters.Add(new NpgsqlParameter { Value = request.Details, NpgsqlDbType = NpgsqlDbType.Boolean });
        batch.BatchCommands.Add(indexes);
    }

    private static NpgsqlParameter TextArray(string[] values) => new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static List<ProtectedTable> ReadTableSets(NpgsqlDataReader reader, CatalogRequest request)
    {
        var rows = ReadSet(reader, ReadTableRow);
        var columns = ReadSet(reader, ReadColumn);
        var policies = ReadSet(reader, ReadPolicy);
        var indexes = ReadSet(reader, ReadIndex);
        return Build(rows, columns, policies, indexes, request);
    }

    private static async Task<List<ProtectedTable>> ReadTableSetsAsync(NpgsqlDataReader reader, CatalogRequest request, CancellationToken cancellationToken)
    {
        var rows = await ReadSetAsync(reader, ReadTableRow, cancellationToken).ConfigureAwait(false);
        var columns = await ReadSetAsync(reader, ReadColumn, cancellationToken).ConfigureAwait(false);
        var policies = await ReadSetAsync(reader, ReadPolicy, cancellationToken).ConfigureAwait(false);
        var indexes = await ReadSetAsync(reader, ReadIndex, cancellationToken).ConfigureAwait(false);
        return Build(rows, columns, policies, indexes, request);
    }

    internal static List<T> ReadSet<T>(NpgsqlDataReader reader, Func<NpgsqlDataReader, T> row)
    {
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(row(reader));
        }

        reader.NextResult();
        return rows;
    }

    internal static async Task<List<T>> ReadSetAsync<T>(NpgsqlDataReader reader, Func<NpgsqlDataReader, T> row, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(row(reader));
        }

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        return rows;
    }

    private static TableRow ReadTableRow(NpgsqlDataReader r) => new(
        r.GetFieldValue<uint>(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4)[0], r.GetBoolean(5), r.GetBoolean(6),
        r.GetString(7), r.GetBoolean(8), r.GetBoolean(9), r.IsDBNull(10) ? null : r.GetFieldValue<uint>(10), r.GetInt32(11));

    private static (uint Table, TableColumn Column) ReadColumn(NpgsqlDataReader r) => (r.GetFieldValue<uint>(0),
        new TableColumn(r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetFieldValue<uint>(4), r.GetBoolean(5))
        {
            Quoted = r.IsDBNull(6) ? null : r.GetString(6),
            Default = r.IsDBNull(7) ? null : r.GetString(7),
            LeadsIndex = r.GetBoolean(8),
            Identity = r.GetBoolean(9),
        });

    private static (uint Table, TablePolicy Policy) ReadPolicy(NpgsqlDataReader r) => (r.GetFieldValue<uint>(1), new TablePolicy(
        r.GetFieldValue<uint>(0), r.GetString(2), r.GetBoolean(4), r.GetString(5), r.GetFieldValue<string[]>(6),
        r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8), r.GetFieldValue<int[]>(9), r.GetBoolean(10))
    {
        Quoted = r.GetString(3),
    });

    private static (uint Table, TableIndex Index) ReadIndex(NpgsqlDataReader r) =>
        (r.GetFieldValue<uint>(0), new TableIndex(r.GetString(1), r.GetBoolean(2), r.GetFieldValue<int[]>(3)));

    private static List<ProtectedTable> Build(
        List<TableRow> rows, List<(uint Table, TableColumn Column)> columns, List<(uint Table, TablePolicy Policy)> policies,
        List<(uint Table, TableIndex Index)> indexes, CatalogRequest request)
    {
        var indexesOf = indexes.ToLookup(i => i.Table, i => i.Index);
        var columnsOf = columns.ToLookup(c => c.Table, c => c.Column);
        var policiesOf = policies.ToLookup(p => p.Table, p => p.Policy);
        var built = new Dictionary<uint, ProtectedTable>(rows.Count);

        // Parents before their partitions: a partition no policy decides takes its parent's tenant column.
        foreach (var row in rows.OrderBy(r => r.Level))
        {
            var tableColumns = columnsOf[row.Oid].ToList();
            var tablePolicies = policiesOf[row.Oid].ToList();
            var tenantPolicies = tablePolicies.Where(p => p.CallsVerifier || p.ReadsSetting(request.SettingName)).ToList();
            var tenant = PolicyColumn(tenantPolicies, tableColumns)
                ?? RequestedColumn(row, tableColumns, request)
                ?? (row.ParentOid is { } parentOid && built.TryGetValue(parentOid, out var parent) ? tableColumns.Find(c => c.Name == parent.TenantColumn) : null)
                ?? request.TenantColumnHints.Select(h => tableColumns.Find(c => c.Name == h)).FirstOrDefault(c => c is not null);
            if (tenant is null)
            {
                continue;
            }

            built.Add(row.Oid, new ProtectedTable(row.Schema, row.Name, tenant.Name, tenant.Type, [.. tableColumns.Select(c => c.Name)])
            {
                Oid = row.Oid,
                QuotedName = row.QuotedName,
                Kind = row.Kind,
                RowSecurity = row.RowSecurity,
                ForceRowSecurity = row.ForceRowSecurity,
                Owner = row.Owner,
                OwnerBypassesRls = row.OwnerBypassesRls,
                OwnedByCurrentUser = row.OwnedByCurrentUser,
                ParentOid = row.ParentOid,
                Level = row.Level,
                Shape = Classify(tablePolicies, tenantPolicies, tenant),
                ColumnFacts = tableColumns,
                Policies = tablePolicies,
                UniqueIndexes = [.. indexesOf[row.Oid]],
            });
        }

        return [.. rows.Where(r => built.ContainsKey(r.Oid)).Select(r => built[r.Oid])];
    }

    /// <summary>The one column every tenant policy depends on; <see langword="null"/> when there is none or it is ambiguous.</summary>
    private static TableColumn? PolicyColumn(List<TablePolicy> tenantPolicies, List<TableColumn> columns)
    {
        if (tenantPolicies.Count == 0)
        {
            return null;
        }

        var shared = tenantPolicies.Select(p => (IEnumerable<int>)p.Columns).Aggregate((a, b) => a.Intersect(b)).Distinct().ToList();
        return shared is [var number] ? columns.Find(c => c.Number == number) : null;
    }

    private static TableColumn? RequestedColumn(TableRow row, List<TableColumn> columns, CatalogRequest request)
    {
        foreach (var (schema, table, column) in request.Requested)
        {
            if (schema == row.Schema && table == row.Name)
            {
                return columns.Find(c => c.Name == column);
            }
        }

        return null;
    }

    private static TenantPolicyShape Classify(List<TablePolicy> all, List<TablePolicy> tenantPolicies, TableColumn tenant)
    {
        if (all.Count == 0)
        {
            return TenantPolicyShape.None;
        }

        var isolating = tenantPolicies.Where(p => p.Permissive && p.Columns.Contains(tenant.Number)).ToList();
        if (isolating.Count == 0)
        {
            return TenantPolicyShape.Other;
        }

        // The weakest policy decides: one on the raw setting lets whoever can set it choose the tenant.
        return isolating.All(p => p.CallsVerifier && !p.ReadsRawSetting) ? TenantPolicyShape.Signed : TenantPolicyShape.Setting;
    }

    private sealed record TableRow(
        uint Oid, string Schema, string Name, string QuotedName, char Kind, bool RowSecurity, bool ForceRowSecurity,
        string Owner, bool OwnerBypassesRls, bool OwnedByCurrentUser, uint? ParentOid, int Level);
}
