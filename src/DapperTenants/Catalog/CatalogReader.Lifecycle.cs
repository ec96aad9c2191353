using Npgsql;
using NpgsqlTypes;

namespace DapperTenants.Catalog;

/// <content>
/// The read of a tenant's purge and export: the catalog model's protected tables (with details), then, in a second
/// round trip, the foreign keys that leave them and their generated columns.
/// </content>
internal static partial class CatalogReader
{
    // $1: the tables. Partition clones of a foreign key (conparentid <> 0) repeat their parent's.
    private const string LifecycleForeignKeysSql = """
        select quote_ident(con.conname), con.conrelid, con.confrelid, con.confdeltype::text,
               array(select quote_ident(a.attname) from unnest(con.conkey) with ordinality k(n, i)
                     join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n order by k.i),
               array(select quote_ident(a.attname) from unnest(con.confkey) with ordinality k(n, i)
                     join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n order by k.i)
        from pg_constraint con
        where con.contype = 'f' and con.conparentid = 0 and con.conrelid = any($1::oid[])
        order by 2, 1
        """;

    // $1: the tables.
    private const string GeneratedColumnsSql = """
        select a.attrelid, a.attname::text from pg_attribute a
        where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped and a.attgenerated <> ''
        order by 1, a.attnum
        """;

    /// <summary>The protected tables, their foreign keys and generated columns, in two round trips.</summary>
    public static LifecycleCatalog ReadLifecycle(NpgsqlConnection connection, string settingName)
    {
        var tables = Roots(ReadTables(connection, new CatalogRequest(settingName) { Details = true }));
        using var batch = LifecycleBatch(connection, tables);
        using var reader = batch.ExecuteReader();
        var keys = ReadSet(reader, ReadLifecycleForeignKey);
        var generated = ReadSet(reader, ReadGeneratedColumn);
        return new LifecycleCatalog(tables, keys, generated.ToLookup(g => g.Table, g => g.Column));
    }

    /// <summary>The protected tables, their foreign keys and generated columns, in two round trips.</summary>
    public static async Task<LifecycleCatalog> ReadLifecycleAsync(NpgsqlConnection connection, string settingName, CancellationToken cancellationToken)
    {
        var tables = Roots(await ReadTablesAsync(connection, new CatalogRequest(settingName) { Details = true }, cancellationToken).ConfigureAwait(false));
        var batch = LifecycleBatch(connection, tables);
        await using var batchScope = batch.ConfigureAwait(false);
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var keys = await ReadSetAsync(reader, ReadLifecycleForeignKey, cancellationToken).ConfigureAwait(false);
        var generated = await ReadSetAsync(reader, ReadGeneratedColumn, cancellationToken).ConfigureAwait(false);
        return new LifecycleCatalog(tables, keys, generated.ToLookup(g => g.Table, g => g.Column));
    }

    /// <summary>Protected tables that are no partition: a statement on a partitioned table reaches its partitions.</summary>
    private static List<ProtectedTable> Roots(CatalogTables tables) => [.. tables.Tables.Where(t => t.IsProtected && !t.IsPartition)];

    private static NpgsqlBatch LifecycleBatch(NpgsqlConnection connection, List<ProtectedTable> tables)
    {
        var oids = tables.Select(t => t.Oid).ToArray();
        NpgsqlBatchCommand Command(string sql) => new(sql)
        {
            Parameters = { new NpgsqlParameter { Value = oids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Oid } },
        };
        return new NpgsqlBatch(connection) { BatchCommands = { Command(LifecycleForeignKeysSql), Command(GeneratedColumnsSql) } };
    }

    private static LifecycleCatalog.ForeignKey ReadLifecycleForeignKey(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetFieldValue<uint>(1), r.GetFieldValue<uint>(2), r.GetString(3)[0], r.GetFieldValue<string[]>(4), r.GetFieldValue<string[]>(5));

    private static (uint Table, string Column) ReadGeneratedColumn(NpgsqlDataReader r) => (r.GetFieldValue<uint>(0), r.GetString(1));
}
