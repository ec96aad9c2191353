using Npgsql;

namespace DapperTenants.Catalog;

/// <summary>Reads a <see cref="PolicyCatalog"/> for the installer in one round trip.</summary>
internal static class PolicyCatalogReader
{
    // The requested tables ($1 schemas, $2 names, $3 tenant columns, in request order), found ones, and their partitions.
    private const string Relations = """
        with request as (
            select * from unnest($1::text[], $2::text[], $3::text[]) with ordinality as r(schema_name, table_name, column_name, idx)),
        roots as (
            select request.idx, c.oid, c.relkind from request
            join pg_namespace n on n.nspname = request.schema_name
            join pg_class c on c.relnamespace = n.oid and c.relname = request.table_name),
        rels as (
            select roots.idx, roots.oid, 0 as level from roots
            union all
            select roots.idx, t.relid, t.level from roots cross join lateral pg_partition_tree(roots.oid) t
            where roots.relkind = 'p' and t.level > 0)

        """;

    private const string RelationsSql = Relations + """
        select rels.idx, rels.level, c.oid, n.nspname::text, c.relname::text, c.relkind::text, c.relrowsecurity, c.relforcerowsecurity,
               pg_has_role(c.relowner, 'USAGE'), pg_get_userbyid(c.relowner)::text,
               a.attname::text, a.atttypid, format_type(a.atttypid, a.atttypmod), coalesce(a.attnotnull, false), quote_ident(a.attname),
               pg_get_expr(d.adbin, d.adrelid),
               exists(select from pg_index i where i.indrelid = c.oid and i.indkey[0] = a.attnum),
               array(select a2.attname::text from pg_attribute a2
                     where a2.attrelid = c.oid and a2.attnum > 0 and not a2.attisdropped order by a2.attnum)
        from rels
        join request on request.idx = rels.idx
        join pg_class c on c.oid = rels.oid
        join pg_namespace n on n.oid = c.relnamespace
        left join pg_attribute a on a.attrelid = c.oid and a.attname = request.column_name and a.attnum > 0 and not a.attisdropped
        left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
        order by rels.idx, rels.level, n.nspname, c.relname
        """;

    // Every policy on those relations, plus the installer's own ($4) wherever they are, to warn about untagged tables.
    private const string PoliciesSql = Relations + """
        select p.polrelid, n.nspname::text, c.relname::text, p.polname::text, p.polpermissive, p.polcmd::text, p.polroles = '{0}'::oid[],
               pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
        from pg_policy p
        join pg_class c on c.oid = p.polrelid
        join pg_namespace n on n.oid = c.relnamespace
        where p.polrelid in (select oid from rels) or p.polname = $4
        order by n.nspname, c.relname, p.polname
        """;

    private const string RolesSql = """
        select current_user::text, array(select r from unnest($1::text[]) r where not exists (select from pg_roles where rolname = r))
        """;

    // Grantee roles ($4) that exist; has_*_privilege counts PUBLIC and inherited grants, which is what access depends on.
    private const string Grantees = ", grantees as (select rolname::text as role_name from pg_roles where rolname = any($4::text[]))\n";

    private const string TableGrantsSql = Relations + Grantees + """
        select roots.oid, g.role_name,
               has_table_privilege(g.role_name, roots.oid, 'SELECT'), has_table_privilege(g.role_name, roots.oid, 'INSERT'),
               has_table_privilege(g.role_name, roots.oid, 'UPDATE'), has_table_privilege(g.role_name, roots.oid, 'DELETE'),
               has_table_privilege(g.role_name, roots.oid, 'TRUNCATE'), has_table_privilege(g.role_name, roots.oid, 'REFERENCES')
        from roots cross join grantees g
        where roots.relkind in ('r', 'p')
        order by roots.idx, g.role_name
        """;

    private const string SchemaGrantsSql = Relations + Grantees + """
        select distinct n.nspname::text, g.role_name, has_schema_privilege(g.role_name, n.oid, 'USAGE')
        from request join pg_namespace n on n.nspname = request.schema_name cross join grantees g
        order by 1, 2
        """;

    // Sequences owned by a column of the tables (serial) or behind an identity column.
    private const string SequenceGrantsSql = Relations + Grantees + """
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

    public static PolicyCatalog Read(NpgsqlConnection connection, IReadOnlyList<(string Schema, string Table, string Column)> tables, IReadOnlyList<string> roles, string policyName)
    {
        using var batch = CreateBatch(connection, tables, roles, policyName);
        using var reader = batch.ExecuteReader();
        var head = ReadSet(reader, ReadHead)[0];
        var relations = ReadSet(reader, ReadRelation);
        var policies = ReadSet(reader, ReadPolicy);
        if (roles.Count == 0)
        {
            return new PolicyCatalog(head.User, head.MissingRoles, relations, policies, [], [], []);
        }

        var tableGrants = ReadSet(reader, ReadTableGrant);
        var schemaGrants = ReadSet(reader, ReadSchemaGrant);
        var sequenceGrants = ReadSet(reader, ReadSequenceGrant);
        return new PolicyCatalog(head.User, head.MissingRoles, relations, policies, tableGrants, schemaGrants, sequenceGrants);
    }

    public static async Task<PolicyCatalog> ReadAsync(
        NpgsqlConnection connection, IReadOnlyList<(string Schema, string Table, string Column)> tables, IReadOnlyList<string> roles, string policyName,
        CancellationToken cancellationToken)
    {
        var batch = CreateBatch(connection, tables, roles, policyName);
        await using var batchScope = batch.ConfigureAwait(false);
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var head = (await ReadSetAsync(reader, ReadHead, cancellationToken).ConfigureAwait(false))[0];
        var relations = await ReadSetAsync(reader, ReadRelation, cancellationToken).ConfigureAwait(false);
        var policies = await ReadSetAsync(reader, ReadPolicy, cancellationToken).ConfigureAwait(false);
        if (roles.Count == 0)
        {
            return new PolicyCatalog(head.User, head.MissingRoles, relations, policies, [], [], []);
        }

        var tableGrants = await ReadSetAsync(reader, ReadTableGrant, cancellationToken).ConfigureAwait(false);
        var schemaGrants = await ReadSetAsync(reader, ReadSchemaGrant, cancellationToken).ConfigureAwait(false);
        var sequenceGrants = await ReadSetAsync(reader, ReadSequenceGrant, cancellationToken).ConfigureAwait(false);
        return new PolicyCatalog(head.User, head.MissingRoles, relations, policies, tableGrants, schemaGrants, sequenceGrants);
    }

    private static NpgsqlBatch CreateBatch(NpgsqlConnection connection, IReadOnlyList<(string Schema, string Table, string Column)> tables, IReadOnlyList<string> roles, string policyName)
    {
        var schemas = tables.Select(t => t.Schema).ToArray();
        var names = tables.Select(t => t.Table).ToArray();
        var columns = tables.Select(t => t.Column).ToArray();
        var roleArray = roles.ToArray();
        NpgsqlBatchCommand Command(string sql, object? fourth) => new(sql)
        {
            Parameters =
            {
                new NpgsqlParameter { Value = schemas },
                new NpgsqlParameter { Value = names },
                new NpgsqlParameter { Value = columns },
                new NpgsqlParameter { Value = fourth },
            },
        };

        var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(RolesSql) { Parameters = { new NpgsqlParameter { Value = roleArray } } },
                new NpgsqlBatchCommand(RelationsSql)
                {
                    Parameters = { new NpgsqlParameter { Value = schemas }, new NpgsqlParameter { Value = names }, new NpgsqlParameter { Value = columns } },
                },
                Command(PoliciesSql, policyName),
            },
        };
        if (roles.Count > 0)
        {
            batch.BatchCommands.Add(Command(TableGrantsSql, roleArray));
            batch.BatchCommands.Add(Command(SchemaGrantsSql, roleArray));
            batch.BatchCommands.Add(Command(SequenceGrantsSql, roleArray));
        }

        return batch;
    }

    private static List<T> ReadSet<T>(NpgsqlDataReader reader, Func<NpgsqlDataReader, T> row)
    {
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(row(reader));
        }

        reader.NextResult();
        return rows;
    }

    private static async Task<List<T>> ReadSetAsync<T>(NpgsqlDataReader reader, Func<NpgsqlDataReader, T> row, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(row(reader));
        }

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        return rows;
    }

    private static (string User, string[] MissingRoles) ReadHead(NpgsqlDataReader reader) => (reader.GetString(0), reader.GetFieldValue<string[]>(1));

    private static PolicyCatalog.Relation ReadRelation(NpgsqlDataReader reader)
    {
        var (schema, name) = (reader.GetString(3), reader.GetString(4));
        var column = reader.IsDBNull(10) ? null : reader.GetString(10);
        var table = column is null ? null : new ProtectedTable(schema, name, column, reader.GetString(12), reader.GetFieldValue<string[]>(17));
        return new PolicyCatalog.Relation(
            Request: (int)reader.GetInt64(0) - 1,
            Level: reader.GetInt32(1),
            Oid: reader.GetFieldValue<uint>(2),
            Schema: schema,
            Name: name,
            Kind: reader.GetString(5)[0],
            RowSecurity: reader.GetBoolean(6),
            ForceRowSecurity: reader.GetBoolean(7),
            OwnedByInstaller: reader.GetBoolean(8),
            Owner: reader.GetString(9),
            Table: table,
            TenantTypeOid: column is null ? 0 : reader.GetFieldValue<uint>(11),
            TenantNotNull: reader.GetBoolean(13),
            QuotedTenantColumn: column is null ? null : reader.GetString(14),
            TenantDefault: reader.IsDBNull(15) ? null : reader.GetString(15),
            HasTenantIndex: reader.GetBoolean(16));
    }

    private static PolicyCatalog.Policy ReadPolicy(NpgsqlDataReader reader) => new(
        reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetBoolean(4), reader.GetString(5),
        reader.GetBoolean(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8));

    private static PolicyCatalog.TableGrant ReadTableGrant(NpgsqlDataReader reader) => new(
        reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetBoolean(4),
        reader.GetBoolean(5), reader.GetBoolean(6), reader.GetBoolean(7));

    private static PolicyCatalog.SchemaGrant ReadSchemaGrant(NpgsqlDataReader reader) => new(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2));

    private static PolicyCatalog.SequenceGrant ReadSequenceGrant(NpgsqlDataReader reader) => new(
        reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetBoolean(4), reader.GetBoolean(5));
}
