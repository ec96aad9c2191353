using DapperTenants.Catalog;
using Npgsql;
using NpgsqlTypes;

namespace DapperTenants.Policies;

/// <summary>Reads a <see cref="RegistryCatalog"/> in one round trip.</summary>
internal static class RegistryCatalogReader
{
    // $1: the grantee roles. Roles that do not exist are left out (the table plan reports them).
    private const string SchemaSql = $"""
        select n.oid is not null, pg_get_userbyid(n.nspowner)::text, coalesce(pg_has_role(n.nspowner, 'USAGE'), false),
               array(select r from unnest($1::text[]) r
                     where exists (select from pg_roles where rolname = r) and (n.oid is null or not has_schema_privilege(r, n.oid, 'USAGE'))
                     order by 1)
        from (select 1) one
        left join pg_namespace n on n.nspname = '{RegistryNames.Schema}'
        """;

    // $1: the grantee roles, $2/$3: the model's column names and types.
    private const string TableSql = $"""
        select c.oid is not null, pg_get_userbyid(c.relowner)::text, coalesce(pg_has_role(c.relowner, 'USAGE'), false),
               array(select f.name || ' ' || f.type from unnest($2::text[], $3::text[]) with ordinality f(name, type, i)
                     where not exists (select from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                                       and a.attname = f.name and format_type(a.atttypid, a.atttypmod) = f.type)
                     order by f.i),
               array(select distinct case when a.grantee = 0 then 'PUBLIC' else pg_get_userbyid(a.grantee)::text end
                     from (select (aclexplode(c.relacl)).* union all
                           select (aclexplode(at.attacl)).* from pg_attribute at where at.attrelid = c.oid and at.attacl is not null) a
                     where a.grantee <> c.relowner and a.privilege_type <> 'SELECT' order by 1),
               array(select r.rolname::text from pg_roles r where r.rolname = any($1::text[]) and not has_table_privilege(r.oid, c.oid, 'SELECT') order by 1),
               coalesce((select pg_get_constraintdef(k.oid) from pg_constraint k where k.conrelid = c.oid and k.conname = '{RegistryNames.StateCheck}'), '')
        from (select 1) one
        left join (pg_class c join pg_namespace n on n.oid = c.relnamespace and n.nspname = '{RegistryNames.Schema}')
               on c.relname = '{RegistryNames.Table}' and c.relkind = 'r'
        """;

    // $1: the grantee roles.
    private const string FunctionSql = $"""
        select p.oid is not null, p.prosrc, coalesce(p.prosecdef, false), coalesce(p.proconfig, '{"{}"}'::text[]),
               pg_get_userbyid(p.proowner)::text, coalesce(pg_has_role(p.proowner, 'USAGE'), false),
               array(select distinct case when a.grantee = 0 then 'PUBLIC' else pg_get_userbyid(a.grantee)::text end
                     from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                     where a.grantee <> p.proowner and a.privilege_type = 'EXECUTE' order by 1),
               array(select r.rolname::text from pg_roles r where r.rolname = any($1::text[])
                     and not exists (select from aclexplode(p.proacl) a where a.grantee = r.oid and a.privilege_type = 'EXECUTE')
                     order by 1)
        from (select 1) one
        left join (pg_proc p join pg_namespace n on n.oid = p.pronamespace and n.nspname = '{RegistryNames.Schema}')
               on p.proname = '{RegistryNames.CreateFunction}' and oidvectortypes(p.proargtypes) = '{RegistrySql.CreateFunctionArguments}'
        """;

    public static RegistryCatalog Read(NpgsqlConnection connection, IReadOnlyList<string> roles)
    {
        using var batch = CreateBatch(connection, roles);
        using var reader = batch.ExecuteReader();
        reader.Read();
        var (schema, withoutUsage) = ReadSchema(reader);
        reader.NextResult();
        reader.Read();
        var table = ReadTable(reader);
        reader.NextResult();
        reader.Read();
        return new RegistryCatalog(schema, table, ReadFunction(reader), withoutUsage);
    }

    public static async Task<RegistryCatalog> ReadAsync(NpgsqlConnection connection, IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        var batch = CreateBatch(connection, roles);
        await using (batch.ConfigureAwait(false))
        {
            var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var (schema, withoutUsage) = ReadSchema(reader);
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var table = ReadTable(reader);
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                return new RegistryCatalog(schema, table, ReadFunction(reader), withoutUsage);
            }
        }
    }

    private static NpgsqlBatch CreateBatch(NpgsqlConnection connection, IReadOnlyList<string> roles)
    {
        var roleArray = roles.ToArray();
        return new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(SchemaSql) { Parameters = { TextArray(roleArray) } },
                new NpgsqlBatchCommand(TableSql)
                {
                    Parameters =
                    {
                        TextArray(roleArray),
                        TextArray([.. RegistryNames.Columns.Select(c => c.Name)]),
                        TextArray([.. RegistryNames.Columns.Select(c => c.Type)]),
                    },
                },
                new NpgsqlBatchCommand(FunctionSql) { Parameters = { TextArray(roleArray) } },
            },
        };
    }

    private static NpgsqlParameter TextArray(string[] values) => new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static (RegistryCatalog.SchemaInfo?, string[]) ReadSchema(NpgsqlDataReader reader)
    {
        var withoutUsage = reader.GetFieldValue<string[]>(3);
        return reader.GetBoolean(0) ? (new RegistryCatalog.SchemaInfo(reader.GetString(1), reader.GetBoolean(2)), withoutUsage) : (null, withoutUsage);
    }

    private static RegistryCatalog.TableInfo? ReadTable(NpgsqlDataReader reader) => reader.GetBoolean(0)
        ? new RegistryCatalog.TableInfo(
            reader.GetString(1), reader.GetBoolean(2), reader.GetFieldValue<string[]>(3), reader.GetFieldValue<string[]>(4), reader.GetFieldValue<string[]>(5),
            reader.GetString(6) == RegistrySql.StateCheckDefinition)
        : null;

    private static RegistryCatalog.FunctionInfo? ReadFunction(NpgsqlDataReader reader)
    {
        if (!reader.GetBoolean(0))
        {
            return null;
        }

        var matches = reader.GetString(1) == RegistrySql.CreateFunctionBody
            && reader.GetBoolean(2)
            && reader.GetFieldValue<string[]>(3) is [var config] && config == "search_path=" + SignedContextSql.SafeSearchPath;
        return new RegistryCatalog.FunctionInfo(
            reader.GetString(4), reader.GetBoolean(5), matches, reader.GetFieldValue<string[]>(6), reader.GetFieldValue<string[]>(7));
    }
}
