using Npgsql;

namespace DapperTenants.Catalog;

/// <summary>Reads the login's attributes and the protected tables in one round trip.</summary>
internal static class CatalogReader
{
    // Protected tables are those with RLS enabled and a policy whose expressions read the tenant setting;
    // the tenant column is the column such a policy depends on (PostgreSQL records a dependency per column).
    private const string ProtectedTablesSql = """
        select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
               array(select a2.attname::text from pg_attribute a2
                     where a2.attrelid = c.oid and a2.attnum > 0 and not a2.attisdropped
                     order by a2.attnum)
        from pg_policy p
        join pg_class c on c.oid = p.polrelid
        join pg_namespace n on n.oid = c.relnamespace
        join pg_depend d on d.classid = 'pg_policy'::regclass and d.objid = p.oid
                        and d.refclassid = 'pg_class'::regclass and d.refobjid = c.oid and d.refobjsubid > 0
        join pg_attribute a on a.attrelid = c.oid and a.attnum = d.refobjsubid
        where c.relrowsecurity
          and c.relkind in ('r', 'p')
          and (strpos(coalesce(pg_get_expr(p.polqual, p.polrelid), ''), $1) > 0
               or strpos(coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''), $1) > 0)
        group by n.nspname, c.relname, c.oid, a.attname, a.atttypid, a.atttypmod
        order by n.nspname, c.relname
        """;

    private const string RoleSql = """
        select r.rolname, r.rolsuper, r.rolbypassrls, coalesce((current_schemas(false))[1], 'public'),
               current_setting('standard_conforming_strings') = 'on'
        from pg_roles r where r.rolname = current_user
        """;

    public static TenantCatalog Read(NpgsqlConnection connection, string settingName)
    {
        using var batch = CreateBatch(connection, settingName);
        using var reader = batch.ExecuteReader();
        reader.Read();
        var (role, super, bypass, schema, standardStrings) = (reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetString(3), reader.GetBoolean(4));
        reader.NextResult();
        var tables = new List<ProtectedTable>();
        while (reader.Read())
        {
            tables.Add(ReadTable(reader));
        }

        return new TenantCatalog(role, super, bypass, schema, Dedupe(tables)) { StandardConformingStrings = standardStrings };
    }

    public static async Task<TenantCatalog> ReadAsync(NpgsqlConnection connection, string settingName, CancellationToken cancellationToken)
    {
        var batch = CreateBatch(connection, settingName);
        await using var batchScope = batch.ConfigureAwait(false);
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var (role, super, bypass, schema, standardStrings) = (reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetString(3), reader.GetBoolean(4));
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var tables = new List<ProtectedTable>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            tables.Add(ReadTable(reader));
        }

        return new TenantCatalog(role, super, bypass, schema, Dedupe(tables)) { StandardConformingStrings = standardStrings };
    }

    private static NpgsqlBatch CreateBatch(NpgsqlConnection connection, string settingName) => new(connection)
    {
        BatchCommands =
        {
            new NpgsqlBatchCommand(RoleSql),
            new NpgsqlBatchCommand(ProtectedTablesSql) { Parameters = { new NpgsqlParameter { Value = settingName } } },
        },
    };

    private static ProtectedTable ReadTable(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<string[]>(4));

    // A policy that depends on several columns names each of them; a table is only understood when one column
    // carries the tenant. Tables with an ambiguous policy are left out: the guard then passes their statements on.
    private static IEnumerable<ProtectedTable> Dedupe(List<ProtectedTable> tables) =>
        tables.GroupBy(t => (t.Schema, t.Table)).Where(g => g.Count() == 1).Select(g => g.First());
}
