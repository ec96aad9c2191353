using Npgsql;

namespace DapperTenants.Catalog;

/// <content>The installer's read: the model's tables plus what only the installer needs (requested names, roles, grants).</content>
internal static partial class CatalogReader
{
    // The requested tables ($1 schemas, $2 names, in request order) and the grantee roles ($3) that exist.
    private const string Requested = """
        with request as (
            select * from unnest($1::text[], $2::text[]) with ordinality as r(schema_name, table_name, idx)),
        roots as (
            select request.idx, c.oid, c.relkind from request
            join pg_namespace n on n.nspname = request.schema_name
            join pg_class c on c.relnamespace = n.oid and c.relname = request.table_name),
        grantees as (select rolname::text as role_name from pg_roles where rolname = any($3::text[]))

        """;

    private const string RequestsSql = Requested + """
        select current_user::text,
               array(select r from unnest($3::text[]) r where not exists (select from pg_roles where rolname = r)),
               array(select coalesce(roots.oid, 0::oid) from request left join roots on roots.idx = request.idx order by request.idx),
               array(select coalesce(roots.relkind::text, '-') from request left join roots on roots.idx = request.idx order by request.idx)
        """;

    // has_*_privilege counts PUBLIC and inherited grants, which is what access depends on.
    private const string TableGrantsSql = Requested + """
        select roots.oid, g.role_name,
               has_table_privilege(g.role_name, roots.oid, 'SELECT'), has_table_privilege(g.role_name, roots.oid, 'INSERT'),
               has_table_privilege(g.role_name, roots.oid, 'UPDATE'), has_table_privilege(g.role_name, roots.oid, 'DELETE'),
               has_table_privilege(g.role_name, roots.oid, 'TRUNCATE'), has_table_privilege(g.role_name, roots.oid, 'REFERENCES')
        from roots cross join grantees g
        where roots.relkind in ('r', 'p')
        order by roots.idx, g.role_name
        """;

    private const string SchemaGrantsSql = Requested + """
        select distinct n.nspname::text, g.role_name, has_schema_privilege(g.role_name, n.oid, 'USAGE')
        from request join pg_namespace n on n.nspname = request.schema_name cross join grantees g
        order by 1, 2
        """;

    // Sequences owned by a column of the tables (serial) or behind an identity column.
    private const string SequenceGrantsSql = Requested + """
        select d.refobjid, sn.nspname::text, s.relname::text, g.role_name,
               has_sequence_privilege(g.role_name, s.oid, 'USAGE'), has_sequence_privilege(g.role_name, s.oid, 'SELECT')
        from roots
        join pg_depend d on d.refobjid = roots.oid and d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass
                        and d.deptype in ('a', 'i')
        join pg_class s on s.oid = d.objid and s.relkind = 'S'
        join pg_namespace sn on sn.oid = s.relnamespace
        cross join grantees g
        order by roots.idx, 2, 3, 4
        """;

    // $1 schemas of the tables, $3 grantee roles, $4 the SQL-executing built-ins' names. A NULL ACL means the defaults (acldefault).
    private const string HardeningFactsSql = """
        with db as (select d.datdba, coalesce(d.datacl, acldefault('d', d.datdba)) as acl from pg_database d where d.datname = current_database())
        select quote_ident(current_database()), pg_has_role(db.datdba, 'USAGE'),
               exists (select from aclexplode(db.acl) a where a.grantee = 0 and a.privilege_type = 'TEMPORARY'),
               array(select r.rolname::text from pg_roles r where r.rolname = any($3::text[])
                     and exists (select from aclexplode(db.acl) a where a.grantee = r.oid and a.privilege_type = 'TEMPORARY') order by 1),
               (select rolsuper from pg_roles where rolname = current_user),
               array(select 'pg_catalog.' || p.proname || '(' || oidvectortypes(p.proargtypes) || ')' from pg_proc p
                     where p.pronamespace = 'pg_catalog'::regnamespace and p.proname = any($4::text[])
                       and exists (select from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a where a.grantee = 0 and a.privilege_type = 'EXECUTE')
                     order by 1)
        from db
        """;

    private const string HardeningSchemasSql = """
        select n.nspname::text, pg_has_role(n.nspowner, 'USAGE'),
               exists (select from aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a where a.grantee = 0 and a.privilege_type = 'CREATE'),
               array(select r.rolname::text from pg_roles r where r.rolname = any($3::text[])
                     and exists (select from aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a where a.grantee = r.oid and a.privilege_type = 'CREATE')
                     order by 1)
        from pg_namespace n
        where n.nspname = any($1::text[])
        order by 1
        """;

    /// <summary>What the hardening plan needs, in one round trip.</summary>
    public static HardeningCatalog ReadHardening(NpgsqlConnection connection, IReadOnlyList<string> schemas, IReadOnlyList<string> roles)
    {
        using var batch = CreateHardeningBatch(connection, schemas, roles);
        using var reader = batch.ExecuteReader();
        var head = ReadSet(reader, ReadHardeningHead)[0];
        return head with { Schemas = ReadSet(reader, ReadHardeningSchema) };
    }

    /// <summary>What the hardening plan needs, in one round trip.</summary>
    public static async Task<HardeningCatalog> ReadHardeningAsync(
        NpgsqlConnection connection, IReadOnlyList<string> schemas, IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        var batch = CreateHardeningBatch(connection, schemas, roles);
        await using var batchScope = batch.ConfigureAwait(false);
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var head = (await ReadSetAsync(reader, ReadHardeningHead, cancellationToken).ConfigureAwait(false))[0];
        return head with { Schemas = await ReadSetAsync(reader, ReadHardeningSchema, cancellationToken).ConfigureAwait(false) };
    }

    private static NpgsqlBatch CreateHardeningBatch(NpgsqlConnection connection, IReadOnlyList<string> schemas, IReadOnlyList<string> roles)
    {
        NpgsqlBatchCommand Command(string sql) => new(sql)
        {
            Parameters = { TextArray([.. schemas.Distinct()]), TextArray([]), TextArray([.. roles]), TextArray([.. SqlExecutingBuiltIns.Names]) },
        };
        return new NpgsqlBatch(connection) { BatchCommands = { Command(HardeningFactsSql), Command(HardeningSchemasSql) } };
    }

    private static HardeningCatalog ReadHardeningHead(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetBoolean(1), r.GetBoolean(2), r.GetFieldValue<string[]>(3), r.GetBoolean(4),
        [.. r.GetFieldValue<string[]>(5).Where(SqlExecutingBuiltIns.Signatures.Select(s => "pg_catalog." + s).Contains).Order(StringComparer.Ordinal)], []);

    private static HardeningCatalog.SchemaInfo ReadHardeningSchema(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetBoolean(1), r.GetBoolean(2), r.GetFieldValue<string[]>(3));

    /// <summary>The installer's catalog, in one round trip.</summary>
    public static PolicyCatalog ReadForInstaller(NpgsqlConnection connection, CatalogRequest request, IReadOnlyList<string> roles)
    {
        using var batch = CreateInstallerBatch(connection, request, roles);
        using var reader = batch.ExecuteReader();
        var head = ReadSet(reader, ReadHead)[0];
        var tables = ReadTableSets(reader, request);
        var tableGrants = ReadSet(reader, ReadTableGrant);
        var schemaGrants = ReadSet(reader, ReadSchemaGrant);
        var sequenceGrants = ReadSet(reader, ReadSequenceGrant);
        return Installer(head, tables, tableGrants, schemaGrants, sequenceGrants);
    }

    /// <summary>The installer's catalog, in one round trip.</summary>
    public static async Task<PolicyCatalog> ReadForInstallerAsync(
        NpgsqlConnection connection, CatalogRequest request, IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        var batch = CreateInstallerBatch(connection, request, roles);
        await using var batchScope = batch.ConfigureAwait(false);
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var head = (await ReadSetAsync(reader, ReadHead, cancellationToken).ConfigureAwait(false))[0];
        var tables = await ReadTableSetsAsync(reader, request, cancellationToken).ConfigureAwait(false);
        var tableGrants = await ReadSetAsync(reader, ReadTableGrant, cancellationToken).ConfigureAwait(false);
        var schemaGrants = await ReadSetAsync(reader, ReadSchemaGrant, cancellationToken).ConfigureAwait(false);
        var sequenceGrants = await ReadSetAsync(reader, ReadSequenceGrant, cancellationToken).ConfigureAwait(false);
        return Installer(head, tables, tableGrants, schemaGrants, sequenceGrants);
    }

    private static PolicyCatalog Installer(
        InstallerHead head, List<ProtectedTable> tables, List<PolicyCatalog.TableGrant> tableGrants,
        List<PolicyCatalog.SchemaGrant> schemaGrants, List<PolicyCatalog.SequenceGrant> sequenceGrants) => new(
            head.User,
            head.MissingRoles,
            [.. head.Oids.Zip(head.Kinds, (oid, kind) => new PolicyCatalog.RequestedRelation(oid == 0 ? null : oid, kind[0]))],
            new CatalogTables(tables),
            tableGrants,
            schemaGrants,
            sequenceGrants);

    private static NpgsqlBatch CreateInstallerBatch(NpgsqlConnection connection, CatalogRequest request, IReadOnlyList<string> roles)
    {
        var schemas = request.Requested.Select(r => r.Schema).ToArray();
        var names = request.Requested.Select(r => r.Table).ToArray();
        var roleArray = roles.ToArray();
        NpgsqlBatchCommand Command(string sql) => new(sql) { Parameters = { TextArray(schemas), TextArray(names), TextArray(roleArray) } };
        var batch = new NpgsqlBatch(connection) { BatchCommands = { Command(RequestsSql) } };
        AddTableCommands(batch, request);
        batch.BatchCommands.Add(Command(TableGrantsSql));
        batch.BatchCommands.Add(Command(SchemaGrantsSql));
        batch.BatchCommands.Add(Command(SequenceGrantsSql));
        return batch;
    }

    private static InstallerHead ReadHead(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetFieldValue<string[]>(1), r.GetFieldValue<uint[]>(2), r.GetFieldValue<string[]>(3));

    private static PolicyCatalog.TableGrant ReadTableGrant(NpgsqlDataReader reader) => new(
        reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetBoolean(4),
        reader.GetBoolean(5), reader.GetBoolean(6), reader.GetBoolean(7));

    private static PolicyCatalog.SchemaGrant ReadSchemaGrant(NpgsqlDataReader reader) => new(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2));

    private static PolicyCatalog.SequenceGrant ReadSequenceGrant(NpgsqlDataReader reader) => new(
        reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetBoolean(4), reader.GetBoolean(5));

    private sealed record InstallerHead(string User, string[] MissingRoles, uint[] Oids, string[] Kinds);
}
