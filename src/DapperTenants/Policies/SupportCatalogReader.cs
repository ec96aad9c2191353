using DapperTenants.Catalog;
using Npgsql;
using NpgsqlTypes;

namespace DapperTenants.Policies;

/// <summary>Reads a <see cref="SupportCatalog"/> in one round trip.</summary>
internal static class SupportCatalogReader
{
    // $1: the support role.
    private const string RoleSql = $"""
        select r.oid is not null, coalesce(r.rolsuper, false), coalesce(r.rolbypassrls, false),
               n.oid is not null, coalesce(pg_get_userbyid(n.nspowner)::text, ''), coalesce(pg_has_role(n.nspowner, 'USAGE'), false),
               coalesce(r.oid is not null and n.oid is not null and has_schema_privilege(r.oid, n.oid, 'USAGE'), false),
               (select case when r.oid is null then null else bool_or(has_function_privilege(r.oid, p.oid, 'EXECUTE')) end
                from pg_proc p where p.pronamespace = n.oid and p.proname = '{SignedContextNames.Verifier}' and oidvectortypes(p.proargtypes) = 'text')
        from (select 1) one
        left join pg_roles r on r.rolname = $1
        left join pg_namespace n on n.nspname = '{SupportNames.Schema}'
        """;

    // $1/$2: the model's column names and types, $3: the table's name.
    private const string TableSql = $"""
        select c.oid is not null, coalesce(pg_get_userbyid(c.relowner)::text, ''), coalesce(pg_has_role(c.relowner, 'USAGE'), false),
               array(select f.name || ' ' || f.type from unnest($1::text[], $2::text[]) with ordinality f(name, type, i)
                     where not exists (select from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                                       and a.attname = f.name and format_type(a.atttypid, a.atttypmod) = f.type)
                     order by f.i),
               array(select distinct case when a.grantee = 0 then 'PUBLIC' else pg_get_userbyid(a.grantee)::text end
                     from (select (aclexplode(c.relacl)).* union all
                           select (aclexplode(at.attacl)).* from pg_attribute at where at.attrelid = c.oid and at.attacl is not null) a
                     where a.grantee <> c.relowner order by 1)
        from (select 1) one
        left join (pg_class c join pg_namespace n on n.oid = c.relnamespace and n.nspname = '{SupportNames.Schema}')
               on c.relname = $3 and c.relkind = 'r'
        """;

    // $1: the support role, $2: the signatures, $3/$4: their names and argument types as oidvectortypes prints them.
    private const string FunctionSql = """
        select s.sig, p.oid is not null, coalesce(pg_get_userbyid(p.proowner)::text, ''), coalesce(pg_has_role(p.proowner, 'USAGE'), false), p.prosrc,
               coalesce(p.prosecdef and p.proconfig = array['search_path=pg_catalog, pg_temp'], false),
               array(select distinct case when a.grantee = 0 then 'PUBLIC' else pg_get_userbyid(a.grantee)::text end
                     from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                     where p.oid is not null and a.grantee <> p.proowner and a.privilege_type = 'EXECUTE' order by 1),
               coalesce(exists (select from aclexplode(p.proacl) a join pg_roles r on r.oid = a.grantee
                                where r.rolname = $1 and a.privilege_type = 'EXECUTE'), false)
        from unnest($2::text[], $3::text[], $4::text[]) with ordinality s(sig, name, args, i)
        left join (pg_proc p join pg_namespace n on n.oid = p.pronamespace and n.nspname = 'dapper_tenants')
               on p.proname = s.name and oidvectortypes(p.proargtypes) = s.args
        order by s.i
        """;

    // $1: the support role, $2: the tables as SQL names them, $3: the policy names.
    private const string TablesSql = """
        select t.name, c.oid is not null,
               coalesce(r.oid is not null and has_table_privilege(r.oid, c.oid, 'SELECT') and has_table_privilege(r.oid, c.oid, 'INSERT')
                        and has_table_privilege(r.oid, c.oid, 'UPDATE') and has_table_privilege(r.oid, c.oid, 'DELETE'), false),
               coalesce(r.oid is not null and has_schema_privilege(r.oid, c.relnamespace, 'USAGE'), false),
               array(select (select obj_description(pol.oid, 'pg_policy') from pg_policy pol
                             where pol.polrelid = c.oid and pol.polname = pn.name and pol.polroles = array[r.oid])
                     from unnest($3::text[]) with ordinality pn(name, i) order by pn.i)
        from unnest($2::text[]) with ordinality t(name, i)
        left join pg_class c on c.oid = to_regclass(t.name)
        left join pg_roles r on r.rolname = $1
        order by t.i
        """;

    public static SupportCatalog Read(NpgsqlConnection connection, string role, IReadOnlyList<string> relations)
    {
        using var batch = CreateBatch(connection, role, relations);
        using var reader = batch.ExecuteReader();
        reader.Read();
        var first = ReadRole(reader);
        reader.NextResult();
        reader.Read();
        var table = ReadTable(reader);
        reader.NextResult();
        reader.Read();
        var writes = ReadTable(reader);
        reader.NextResult();
        var functions = new List<SupportCatalog.FunctionInfo>();
        while (reader.Read())
        {
            functions.Add(ReadFunction(reader));
        }

        reader.NextResult();
        var tables = new List<SupportCatalog.ProtectedInfo>();
        while (reader.Read())
        {
            tables.Add(ReadProtected(reader));
        }

        return first with { Table = table, WritesTable = writes, Functions = functions, Tables = tables };
    }

    public static async Task<SupportCatalog> ReadAsync(NpgsqlConnection connection, string role, IReadOnlyList<string> relations, CancellationToken cancellationToken)
    {
        var batch = CreateBatch(connection, role, relations);
        await using (batch.ConfigureAwait(false))
        {
            var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var first = ReadRole(reader);
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var table = ReadTable(reader);
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var writes = ReadTable(reader);
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                var functions = new List<SupportCatalog.FunctionInfo>();
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    functions.Add(ReadFunction(reader));
                }

                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                var tables = new List<SupportCatalog.ProtectedInfo>();
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    tables.Add(ReadProtected(reader));
                }

                return first with { Table = table, WritesTable = writes, Functions = functions, Tables = tables };
            }
        }
    }

    private static NpgsqlBatch CreateBatch(NpgsqlConnection connection, string role, IReadOnlyList<string> relations) => new(connection)
    {
        BatchCommands =
        {
            new NpgsqlBatchCommand(RoleSql) { Parameters = { Text(role) } },
            new NpgsqlBatchCommand(TableSql)
            {
                Parameters =
                {
                    TextArray([.. SupportNames.Columns.Select(c => c.Name)]), TextArray([.. SupportNames.Columns.Select(c => c.Type)]), Text(SupportNames.Table),
                },
            },
            new NpgsqlBatchCommand(TableSql)
            {
                Parameters =
                {
                    TextArray([.. SupportNames.WritesColumns.Select(c => c.Name)]), TextArray([.. SupportNames.WritesColumns.Select(c => c.Type)]),
                    Text(SupportNames.WritesTable),
                },
            },
            new NpgsqlBatchCommand(FunctionSql)
            {
                Parameters =
                {
                    Text(role), TextArray(SupportSql.Signatures),
                    TextArray([SupportNames.BeginFunction, SupportNames.AllFunction, SupportNames.TenantsFunction, SupportNames.WriteFunction]),
                    TextArray(["text, text, text[], boolean, boolean, text", "boolean", "boolean", "text"]),
                },
            },
            new NpgsqlBatchCommand(TablesSql) { Parameters = { Text(role), TextArray([.. relations]), TextArray(SupportSql.PolicyNames) } },
        },
    };

    private static NpgsqlParameter Text(string value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.Text };

    private static NpgsqlParameter TextArray(string[] values) => new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static SupportCatalog ReadRole(NpgsqlDataReader reader) => new(
        reader.GetBoolean(0) ? new SupportCatalog.RoleInfo(reader.GetBoolean(1), reader.GetBoolean(2)) : null,
        reader.GetBoolean(3) ? new RegistryCatalog.SchemaInfo(reader.GetString(4), reader.GetBoolean(5)) : null,
        reader.GetBoolean(6),
        null,
        [],
        [],
        reader.IsDBNull(7) ? null : reader.GetBoolean(7));

    private static SupportCatalog.TableInfo? ReadTable(NpgsqlDataReader reader) => reader.GetBoolean(0)
        ? new SupportCatalog.TableInfo(reader.GetString(1), reader.GetBoolean(2), reader.GetFieldValue<string[]>(3), reader.GetFieldValue<string[]>(4))
        : null;

    private static SupportCatalog.FunctionInfo ReadFunction(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetBoolean(1), reader.GetString(2), reader.GetBoolean(3), reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.GetBoolean(5), reader.GetFieldValue<string[]>(6), reader.GetBoolean(7));

    private static SupportCatalog.ProtectedInfo ReadProtected(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetFieldValue<string?[]>(4));
}
