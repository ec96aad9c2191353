using Npgsql;
using NpgsqlTypes;

namespace DapperTenants.Cli.Audit;

/// <summary>Reads an <see cref="AuditSnapshot"/> with catalog queries only: nothing is changed, no table data is read.</summary>
internal static class AuditCatalogReader
{
    // $1: the tenant column names, in order of preference. A table is a tenant table when it has one of them.
    private const string TenantTablesCte = """
        with tenant_tables as (
            select c.oid, n.nspname, c.relname, c.relispartition, c.relrowsecurity, c.relforcerowsecurity, c.relowner,
                   a.attname, a.attnum
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            cross join lateral (
                select a.attname, a.attnum
                from pg_attribute a
                where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attname = any($1::text[])
                order by array_position($1::text[], a.attname::text)
                limit 1) a
            where c.relkind in ('r', 'p')
              and n.nspname <> 'information_schema' and n.nspname !~ '^pg_')
        """;

    private const string ServerSql = """
        select current_setting('server_version_num')::int, current_setting('server_version'), current_database()::text,
               exists (select from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                       where n.nspname = 'dapper_tenants' and p.proname = 'tenant_of' and oidvectortypes(p.proargtypes) = 'text')
        """;

    private const string TablesSql = TenantTablesCte + """
        select t.oid::bigint, format('%I.%I', t.nspname, t.relname), t.relispartition, t.relrowsecurity, t.relforcerowsecurity,
               pg_get_userbyid(t.relowner)::text, o.rolsuper or o.rolbypassrls, quote_ident(t.attname), t.attnum::int,
               (select count(*)::int from pg_policy p where p.polrelid = t.oid),
               exists (select 1 from pg_index i where i.indrelid = t.oid and i.indkey[0] = t.attnum),
               (select h.inhparent::bigint from pg_inherits h where h.inhrelid = t.oid and t.relispartition limit 1)
        from tenant_tables t
        join pg_roles o on o.oid = t.relowner
        order by 2
        """;

    // $2: the app role, or null. A policy applies to it through PUBLIC or any role whose privileges it has.
    private const string PoliciesSql = TenantTablesCte + """
        select p.polrelid::bigint, quote_ident(p.polname), p.polpermissive,
               coalesce(pg_get_expr(p.polqual, p.polrelid), ''), coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''),
               array(select case when r = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(r)) end from unnest(p.polroles) r order by 1),
               0 = any(p.polroles),
               case when $2::text is null then null
                    else exists (select 1 from unnest(p.polroles) r where r <> 0 and pg_has_role($2::text::name, r, 'USAGE')) end,
               array(select d.refobjsubid::int from pg_depend d
                     where d.classid = 'pg_policy'::regclass and d.objid = p.oid
                       and d.refclassid = 'pg_class'::regclass and d.refobjid = p.polrelid and d.refobjsubid > 0),
               strpos(coalesce(pg_get_expr(p.polqual, p.polrelid), '') || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''), 'current_setting(') > 0,
               exists (select from pg_depend d
                       join pg_proc f on f.oid = d.refobjid
                       join pg_namespace fn on fn.oid = f.pronamespace
                       where d.classid = 'pg_policy'::regclass and d.objid = p.oid and d.refclassid = 'pg_proc'::regclass
                         and fn.nspname = 'dapper_tenants' and f.proname = 'tenant_of')
        from pg_policy p
        join tenant_tables t on t.oid = p.polrelid
        order by 1, 2
        """;

    // Partition clones of a foreign key (conparentid <> 0) repeat their parent constraint; only the parent is reported.
    private const string ForeignKeysSql = TenantTablesCte + """
        select quote_ident(con.conname), format('%I.%I', sn.nspname, sc.relname), con.confrelid::bigint, con.confkey::int[]
        from pg_constraint con
        join tenant_tables t on t.oid = con.confrelid and t.relrowsecurity
        join pg_class sc on sc.oid = con.conrelid
        join pg_namespace sn on sn.oid = sc.relnamespace
        where con.contype = 'f' and con.conparentid = 0
        order by 2, 1
        """;

    private const string ViewsSql = TenantTablesCte + """
        select distinct format('%I.%I', vn.nspname, v.relname), v.relkind = 'm', pg_get_userbyid(v.relowner)::text,
               vo.rolsuper or vo.rolbypassrls,
               coalesce((select lower(o.option_value) from pg_options_to_table(v.reloptions) o where o.option_name = 'security_invoker'), 'false'),
               t.oid::bigint, pg_has_role(v.relowner, t.relowner, 'USAGE')
        from pg_depend d
        join pg_rewrite rw on rw.oid = d.objid
        join pg_class v on v.oid = rw.ev_class
        join pg_namespace vn on vn.oid = v.relnamespace
        join pg_roles vo on vo.oid = v.relowner
        join tenant_tables t on t.oid = d.refobjid and t.relrowsecurity
        where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass
          and v.oid <> t.oid and v.relkind in ('v', 'm')
        order by 1, 6
        """;

    private const string FunctionsSql = TenantTablesCte + """
        select format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)), pg_get_userbyid(p.proowner)::text,
               o.rolsuper or o.rolbypassrls,
               array(select t.oid::bigint from tenant_tables t
                     where t.relrowsecurity and not t.relforcerowsecurity and pg_has_role(p.proowner, t.relowner, 'USAGE') order by 1)
        from pg_proc p
        join pg_namespace n on n.oid = p.pronamespace
        join pg_roles o on o.oid = p.proowner
        where p.prosecdef and n.nspname <> 'information_schema' and n.nspname !~ '^pg_'
          and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
        order by 1
        """;

    private const string AppRoleSql = """
        select r.rolsuper, r.rolbypassrls, quote_ident(r.rolname) from pg_roles r where r.rolname = $1
        """;

    // MEMBER, not USAGE: a member without INHERIT can still SET ROLE to the owner and skip the policies.
    private const string PrivilegesSql = TenantTablesCte + """
        select t.oid::bigint, pg_has_role($2::text::name, t.relowner, 'MEMBER'),
               has_table_privilege($2::text::name, t.oid, 'TRUNCATE'), has_any_column_privilege($2::text::name, t.oid, 'REFERENCES')
        from tenant_tables t
        where t.relrowsecurity
        order by 1
        """;

    public static async Task<AuditSnapshot> ReadAsync(NpgsqlConnection connection, IReadOnlyList<string> tenantColumns, string? appRole, CancellationToken cancellationToken)
    {
        var columns = tenantColumns.ToArray();
        var (versionNum, version, database, signed) = (await QueryAsync(connection, ServerSql, [], r => (r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetBoolean(3)), cancellationToken)
            .ConfigureAwait(false))[0];

        AppRoleInfo? role = null;
        if (appRole is not null)
        {
            var rows = await QueryAsync(connection, AppRoleSql, [Text(appRole)], r => (r.GetBoolean(0), r.GetBoolean(1), r.GetString(2)), cancellationToken)
                .ConfigureAwait(false);
            role = rows.Count == 0
                ? new AppRoleInfo(appRole, appRole, Exists: false, false, false, [])
                : new AppRoleInfo(appRole, rows[0].Item3, Exists: true, rows[0].Item1, rows[0].Item2, []);
        }

        // The policy and privilege queries call pg_has_role, which fails for a role that does not exist.
        var knownRole = role is { Exists: true } ? appRole : null;
        NpgsqlParameter[] tenantOnly = [TextArray(columns)];
        NpgsqlParameter[] tenantAndRole() => [TextArray(columns), Text(knownRole)];

        var tables = await QueryAsync(connection, TablesSql, tenantOnly, r => new TenantTable(
            r.GetInt64(0), r.GetString(1), r.GetBoolean(2), r.IsDBNull(11) ? null : r.GetInt64(11), r.GetBoolean(3), r.GetBoolean(4),
            r.GetString(5), r.GetBoolean(6), r.GetString(7), r.GetInt32(8), r.GetInt32(9), r.GetBoolean(10)), cancellationToken).ConfigureAwait(false);
        var policies = await QueryAsync(connection, PoliciesSql, tenantAndRole(), r => new PolicyInfo(
            r.GetInt64(0), r.GetString(1), r.GetBoolean(2), r.GetString(3), r.GetString(4), r.GetFieldValue<string[]>(5), r.GetBoolean(6),
            r.IsDBNull(7) ? null : r.GetBoolean(7), r.GetFieldValue<int[]>(8), r.GetBoolean(9), r.GetBoolean(10)), cancellationToken).ConfigureAwait(false);
        var foreignKeys = await QueryAsync(connection, ForeignKeysSql, [TextArray(columns)], r => new ForeignKeyInfo(
            r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetFieldValue<int[]>(3)), cancellationToken).ConfigureAwait(false);
        var views = await QueryAsync(connection, ViewsSql, [TextArray(columns)], r => new DependentView(
            r.GetString(0), r.GetBoolean(1), r.GetString(2), r.GetBoolean(3), IsOn(r.GetString(4)), r.GetInt64(5), r.GetBoolean(6)), cancellationToken)
            .ConfigureAwait(false);
        var functions = await QueryAsync(connection, FunctionsSql, [TextArray(columns)], r => new DefinerFunction(
            r.GetString(0), r.GetString(1), r.GetBoolean(2), r.GetFieldValue<long[]>(3)), cancellationToken).ConfigureAwait(false);

        if (role is { Exists: true })
        {
            var privileges = await QueryAsync(connection, PrivilegesSql, tenantAndRole(), r => new TablePrivileges(
                r.GetInt64(0), r.GetBoolean(1), r.GetBoolean(2), r.GetBoolean(3)), cancellationToken).ConfigureAwait(false);
            role = role with { Privileges = privileges };
        }

        return new AuditSnapshot(database, versionNum, version, columns, tables, policies, foreignKeys, views, functions, role, signed);
    }

    // Reloptions keep the spelling the user wrote: on, true, yes, 1 (and prefixes PostgreSQL accepts are normalized by it).
    private static bool IsOn(string value) => value is "on" or "true" or "yes" or "1" or "t" or "y";

    private static NpgsqlParameter TextArray(string[] values) => new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static async Task<List<T>> QueryAsync<T>(NpgsqlConnection connection, string sql, NpgsqlParameter[] parameters, Func<NpgsqlDataReader, T> map, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.AddRange(parameters);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                var rows = new List<T>();
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add(map(reader));
                }

                return rows;
            }
        }
    }
}
