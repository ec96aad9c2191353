using DapperTenants.Catalog;
using Npgsql;
using NpgsqlTypes;

namespace DapperTenants.Policies;

/// <summary>Reads a <see cref="SignedContextCatalog"/>: one round trip for the objects, one more for the keys when the key table exists.</summary>
internal static class SignedContextCatalogReader
{
    // $1: the grantee roles. Roles that do not exist are left out (the table plan reports them).
    private const string SchemaSql = $"""
        select n.oid is not null, pg_get_userbyid(n.nspowner)::text, coalesce(pg_has_role(n.nspowner, 'USAGE'), false),
               array(select case when a.grantee = 0 then 'PUBLIC' else pg_get_userbyid(a.grantee)::text end
                     from aclexplode(n.nspacl) a where a.privilege_type = 'CREATE' and a.grantee <> n.nspowner order by 1),
               array(select r from unnest($1::text[]) r
                     where exists (select from pg_roles where rolname = r) and (n.oid is null or not has_schema_privilege(r, n.oid, 'USAGE'))
                     order by 1)
        from (select 1) one
        left join pg_namespace n on n.nspname = '{SignedContextNames.Schema}'
        """;

    private const string TableSql = $"""
        select c.oid is not null, pg_get_userbyid(c.relowner)::text, coalesce(pg_has_role(c.relowner, 'USAGE'), false),
               coalesce(c.relrowsecurity, false),
               array(select distinct case when a.grantee = 0 then 'PUBLIC' else pg_get_userbyid(a.grantee)::text end
                     from (select (aclexplode(c.relacl)).* union all
                           select (aclexplode(at.attacl)).* from pg_attribute at where at.attrelid = c.oid and at.attacl is not null) a
                     where a.grantee <> c.relowner order by 1),
               coalesce((select bool_and(coalesce(at.attstattarget, -1) = 0) from pg_attribute at
                         where at.attrelid = c.oid and at.attname in ('inner_pad', 'outer_pad')), false)
        from (select 1) one
        left join (pg_class c join pg_namespace n on n.oid = c.relnamespace and n.nspname = '{SignedContextNames.Schema}')
               on c.relname = '{SignedContextNames.KeyTable}' and c.relkind = 'r'
        """;

    // $1: grantee roles, $2: function names, $3: their argument types as oidvectortypes prints them.
    private const string FunctionsSql = $"""
        select p.oid is not null, p.prosrc, coalesce(p.prosecdef, false), coalesce(p.provolatile::text, ''), coalesce(p.proparallel::text, ''),
               coalesce(p.proconfig, '{"{}"}'::text[]), pg_get_userbyid(p.proowner)::text, coalesce(pg_has_role(p.proowner, 'USAGE'), false),
               p.oid is not null and (p.proacl is null or exists (select from aclexplode(p.proacl) a where a.grantee = 0 and a.privilege_type = 'EXECUTE')),
               array(select r.rolname::text from pg_roles r where r.rolname = any($1::text[])
                     and not exists (select from aclexplode(p.proacl) a where a.grantee = r.oid and a.privilege_type = 'EXECUTE')
                     order by 1),
               exists (select from aclexplode(p.proacl) a where a.privilege_type = 'EXECUTE' and a.grantee <> 0 and a.grantee <> p.proowner)
        from unnest($2::text[], $3::text[]) with ordinality f(name, args, i)
        left join (pg_proc p join pg_namespace n on n.oid = p.pronamespace and n.nspname = '{SignedContextNames.Schema}')
               on p.proname = f.name and oidvectortypes(p.proargtypes) = f.args
        order by f.i
        """;

    // $1: the given key ids, $2: their fingerprints (sha256 of the pads): the key itself is never sent to read the plan.
    private const string KeysSql = $"""
        select s.key_id, g.id is not null, coalesce(sha256(s.inner_pad || s.outer_pad) = g.fingerprint, false)
        from {SignedContextNames.QualifiedKeyTable} s
        left join unnest($1::text[], $2::bytea[]) g(id, fingerprint) on g.id = s.key_id
        order by s.key_id
        """;

    public static SignedContextCatalog Read(NpgsqlConnection connection, SignedContextModel model, IReadOnlyList<string> roles)
    {
        SignedContextCatalog.SchemaInfo? schema;
        string[] withoutUsage;
        SignedContextCatalog.TableInfo? table;
        var functions = new List<SignedContextCatalog.FunctionInfo>();
        using (var batch = CreateBatch(connection, roles))
        using (var reader = batch.ExecuteReader())
        {
            reader.Read();
            (schema, withoutUsage) = ReadSchema(reader);
            reader.NextResult();
            reader.Read();
            table = ReadTable(reader);
            reader.NextResult();
            var index = 0;
            while (reader.Read())
            {
                functions.Add(ReadFunction(reader, SignedContextSql.Functions[index++]));
            }
        }

        var keys = new List<SignedContextCatalog.KeyInfo>();
        if (table is not null)
        {
            using var command = CreateKeysCommand(connection, model);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                keys.Add(new(reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2)));
            }
        }

        return new SignedContextCatalog(schema, table, functions, keys, withoutUsage);
    }

    public static async Task<SignedContextCatalog> ReadAsync(
        NpgsqlConnection connection, SignedContextModel model, IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        SignedContextCatalog.SchemaInfo? schema;
        string[] withoutUsage;
        SignedContextCatalog.TableInfo? table;
        var functions = new List<SignedContextCatalog.FunctionInfo>();
        var batch = CreateBatch(connection, roles);
        await using (batch.ConfigureAwait(false))
        {
            var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                (schema, withoutUsage) = ReadSchema(reader);
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                table = ReadTable(reader);
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                var index = 0;
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    functions.Add(ReadFunction(reader, SignedContextSql.Functions[index++]));
                }
            }
        }

        var keys = new List<SignedContextCatalog.KeyInfo>();
        if (table is not null)
        {
            var command = CreateKeysCommand(connection, model);
            await using (command.ConfigureAwait(false))
            {
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        keys.Add(new(reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2)));
                    }
                }
            }
        }

        return new SignedContextCatalog(schema, table, functions, keys, withoutUsage);
    }

    private static NpgsqlBatch CreateBatch(NpgsqlConnection connection, IReadOnlyList<string> roles)
    {
        var roleArray = roles.ToArray();
        return new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(SchemaSql) { Parameters = { TextArray(roleArray) } },
                new NpgsqlBatchCommand(TableSql),
                new NpgsqlBatchCommand(FunctionsSql)
                {
                    Parameters =
                    {
                        TextArray(roleArray),
                        TextArray([.. SignedContextSql.Functions.Select(f => f.Name)]),
                        TextArray([.. SignedContextSql.Functions.Select(f => f.ArgumentTypes)]),
                    },
                },
            },
        };
    }

    private static NpgsqlCommand CreateKeysCommand(NpgsqlConnection connection, SignedContextModel model) => new(KeysSql, connection)
    {
        Parameters =
        {
            TextArray([.. model.Keys.Select(k => k.KeyId)]),
            new NpgsqlParameter { Value = model.Keys.Select(k => k.Fingerprint()).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea },
        },
    };

    private static NpgsqlParameter TextArray(string[] values) => new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static (SignedContextCatalog.SchemaInfo?, string[]) ReadSchema(NpgsqlDataReader reader)
    {
        var withoutUsage = reader.GetFieldValue<string[]>(4);
        return reader.GetBoolean(0)
            ? (new SignedContextCatalog.SchemaInfo(reader.GetString(1), reader.GetBoolean(2), reader.GetFieldValue<string[]>(3)), withoutUsage)
            : (null, withoutUsage);
    }

    private static SignedContextCatalog.TableInfo? ReadTable(NpgsqlDataReader reader) => reader.GetBoolean(0)
        ? new SignedContextCatalog.TableInfo(reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetFieldValue<string[]>(4), reader.GetBoolean(5))
        : null;

    private static SignedContextCatalog.FunctionInfo ReadFunction(NpgsqlDataReader reader, SignedFunction model)
    {
        if (!reader.GetBoolean(0))
        {
            return new SignedContextCatalog.FunctionInfo(false, false, null, false, false, reader.GetFieldValue<string[]>(9), false);
        }

        var matches = reader.GetString(1) == model.Body
            && reader.GetBoolean(2) == model.SecurityDefiner
            && reader.GetString(3) == model.Volatility.ToString()
            && reader.GetString(4) == model.Parallel.ToString()
            && reader.GetFieldValue<string[]>(5) is [var config] && config == "search_path=" + SignedContextSql.SafeSearchPath;
        return new SignedContextCatalog.FunctionInfo(
            true, matches, reader.GetString(6), reader.GetBoolean(7), reader.GetBoolean(8), reader.GetFieldValue<string[]>(9), reader.GetBoolean(10));
    }
}
