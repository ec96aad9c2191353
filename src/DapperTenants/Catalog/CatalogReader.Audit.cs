using Npgsql;
using NpgsqlTypes;

namespace DapperTenants.Catalog;

/// <content>
/// The audit's read: the catalog model's tables (with details and the audit's column hints), the server and the app
/// login in a first round trip; the objects that reach the tables, and the login's rights on them, in a second.
/// </content>
internal static partial class CatalogReader
{
    private const string ServerSql = $"""
        select current_setting('server_version_num')::int, current_setting('server_version'), current_database()::text, quote_ident(current_database()),
               exists (select from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                       where n.nspname = '{SignedContextNames.Schema}' and p.proname = '{SignedContextNames.Verifier}' and oidvectortypes(p.proargtypes) = 'text')
        """;

    // $1: the app role, or null.
    private const string AppRoleSql = """
        select r.rolsuper, r.rolbypassrls, quote_ident(r.rolname) from pg_roles r where r.rolname = $1
        """;

    // Linear in the catalog, also right after a migration, while the catalogs' statistics still describe an empty
    // database (the auditscale benchmark times both): the tables' OIDs ($1, $2, $4) are tested with = ANY, which
    // PostgreSQL 14+ hashes, never joined to unnest(), which such statistics turn into nested loops (tables x rows);
    // and nothing is computed per pair of objects that a pair of owners decides (FunctionOwnersSql).

    // $1: tables with Row-Level Security. Partition clones of a foreign key (conparentid <> 0) repeat their parent; only the parent is reported.
    private const string ForeignKeysSql = """
        select quote_ident(con.conname), format('%I.%I', sn.nspname, sc.relname), con.confrelid, con.confkey::int[]
        from pg_constraint con
        join pg_class sc on sc.oid = con.conrelid
        join pg_namespace sn on sn.oid = sc.relnamespace
        where con.contype = 'f' and con.conparentid = 0 and con.confrelid = any($1::oid[])
        order by 2, 1
        """;

    // pg_depend records a dependency on a table's columns both for a view that reads the table and for one that only
    // uses its row type (the columns of a function returning SETOF the table, (f()).tenant_id): the view reads the
    // table only when the table is in a range table of its rule (":rtekind 0 :relid <oid> ", RTE_RELATION, in the
    // stored tree; a name in that tree cannot hold the text, as spaces in names are escaped). A function called from a
    // view runs with the caller's rights, not the view owner's: the function is judged on its own (DT042).
    // The last column: the roles other than the owner granted SELECT on the view (PUBLIC as 0).
    private const string ViewsSql = """
        select distinct format('%I.%I', vn.nspname, v.relname), v.relkind = 'm', pg_get_userbyid(v.relowner)::text,
               vo.rolsuper or vo.rolbypassrls,
               coalesce((select lower(o.option_value) from pg_options_to_table(v.reloptions) o where o.option_name = 'security_invoker'), 'false'),
               t.oid, pg_has_role(v.relowner, t.relowner, 'USAGE'),
               array(select distinct case when a.grantee = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(a.grantee)) end
                     from aclexplode(coalesce(v.relacl, acldefault('r', v.relowner))) a
                     where a.privilege_type = 'SELECT' and a.grantee <> v.relowner order by 1)
        from pg_depend d
        join pg_rewrite rw on rw.oid = d.objid
        join pg_class v on v.oid = rw.ev_class
        join pg_namespace vn on vn.oid = v.relnamespace
        join pg_roles vo on vo.oid = v.relowner
        join pg_class t on t.oid = d.refobjid and t.oid = any($1::oid[])
        where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass
          and v.oid <> t.oid and v.relkind in ('v', 'm')
          and strpos(rw.ev_action::text, ':rtekind 0 :relid ' || t.oid::text || ' ') > 0
        order by 1, 6
        """;

    // Every function and procedure outside the system schemas and extensions, with its body: the audit follows the
    // calls of a SECURITY DEFINER function into the functions it calls (FunctionReads). A SQL-standard body is read
    // from its stored tree: the relations of its range tables and the functions it calls. The tables each SECURITY
    // DEFINER function's owner acts as the owner of come from FunctionOwnersSql, once per owner.
    private const string FunctionsSql = """
        select p.oid, format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)), n.nspname::text, p.proname::text,
               pg_get_userbyid(p.proowner)::text, o.rolsuper or o.rolbypassrls, p.prosecdef, p.proowner, l.lanname::text,
               case when p.prosqlbody is null then coalesce(p.prosrc, '') else '' end, p.prosqlbody is not null,
               array(select distinct m[1]::oid from regexp_matches(p.prosqlbody::text, ':rtekind 0 :relid (\d+) ', 'g') m),
               array(select distinct m[1]::oid from regexp_matches(p.prosqlbody::text, ':funcid (\d+) ', 'g') m)
        from pg_proc p
        join pg_namespace n on n.oid = p.pronamespace
        join pg_roles o on o.oid = p.proowner
        join pg_language l on l.oid = p.prolang
        where p.prokind in ('f', 'p') and n.nspname <> 'information_schema' and n.nspname !~ '^pg_'
          and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
        order by 2
        """;

    // Partitions without Row-Level Security (of the model's tables, $4) and the roles other than their owner granted a
    // privilege on the partition itself: a query that names the partition checks those, not the parent's.
    private const string PartitionGrantsSql = """
        select c.oid, case when a.grantee = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(a.grantee)) end,
               array_agg(a.privilege_type::text order by array_position(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'], a.privilege_type::text))
        from pg_class c cross join lateral aclexplode(c.relacl) a
        where c.oid = any($4::oid[]) and c.relispartition and not c.relrowsecurity and c.relacl is not null
          and a.grantee <> c.relowner and a.privilege_type in ('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')
        group by c.oid, 2
        order by 1, 2
        """;

    // $2: tables with Row-Level Security that do not force it. Per owner of a SECURITY DEFINER function, those whose owner
    // it has the privileges of: pg_has_role once per pair of owners, not once per function and table.
    private const string FunctionOwnersSql = """
        with unforced as (select t.oid, t.relowner from pg_class t where t.oid = any($2::oid[])),
             owners as (select distinct p.proowner from pg_proc p where p.prosecdef),
             acts as (select o.proowner, r.relowner from owners o cross join (select distinct relowner from unforced) r
                      where pg_has_role(o.proowner, r.relowner, 'USAGE'))
        select o.proowner, coalesce(array_agg(u.oid order by u.oid) filter (where u.oid is not null), '{}')
        from owners o
        left join acts a on a.proowner = o.proowner
        left join unforced u on u.relowner = a.relowner
        group by o.proowner
        """;

    // $3: the app role, known to exist. Up to PostgreSQL 15, MEMBER, not USAGE: a member without INHERIT can still SET
    // ROLE to the owner and skip the policies. From 16 a grant says whether it allows SET ROLE and whether it inherits:
    // MEMBER counts grants that allow neither, so USAGE (inherits) or SET is asked, and the chains (RoleChains16Sql)
    // add a SET ROLE to a role that inherits the owner's rights.
    private const string PrivilegesSql = """
        select t.oid, pg_has_role($3::text::name, t.relowner, 'MEMBER'),
               has_table_privilege($3::text::name, t.oid, 'TRUNCATE'), has_any_column_privilege($3::text::name, t.oid, 'REFERENCES'),
               has_table_privilege($3::text::name, t.oid, 'TRIGGER')
        from pg_class t
        where t.oid = any($1::oid[])
        order by 1
        """;

    // A policy applies to the login through PUBLIC or any role whose privileges it has; $4: every table's OID.
    private const string PoliciesApplyingSql = """
        select p.oid from pg_policy p
        where p.polrelid = any($4::oid[])
          and exists (select from unnest(p.polroles) r where r <> 0 and pg_has_role($3::text::name, r, 'USAGE'))
        """;

    // $3: the app role. Every role it reaches through pg_auth_members (up to PostgreSQL 15 a member can SET ROLE to it
    // whatever INHERIT says), by its shortest chain; the login itself when it has CREATEROLE. The last column: the login
    // can SET ROLE to it (always up to 15).
    private const string RoleChainsSql = """
        with recursive chain(oid, path) as (
            select r.oid, array[r.rolname::text] from pg_roles r where r.rolname = $3
            union all
            select m.roleid, c.path || g.rolname::text
            from chain c
            join pg_auth_members m on m.member = c.oid
            join pg_roles g on g.oid = m.roleid
            where not g.rolname::text = any(c.path))
        select distinct on (c.oid) g.rolname::text, c.path, g.rolsuper, g.rolbypassrls, g.rolcreaterole, true
        from chain c join pg_roles g on g.oid = c.oid
        where cardinality(c.path) > 1 or g.rolcreaterole
        order by c.oid, cardinality(c.path)
        """;

    // PostgreSQL 16+: each grant says whether the member may SET ROLE to the role (set_option) and whether it uses the
    // role's rights without it (inherit_option); ADMIN OPTION lets the member grant itself both. A grant with none of
    // the three is no path. A chain is usable as SET ROLE steps followed by inheriting steps (SET ROLE b, then b
    // inherits c's rights); attributes (SUPERUSER, BYPASSRLS, CREATEROLE) are never inherited, so they need a chain of
    // SET ROLE steps (can_set). Prefers such a chain, then the shortest.
    private const string RoleChains16Sql = """
        with recursive chain(oid, path, can_set) as (
            select r.oid, array[r.rolname::text], true from pg_roles r where r.rolname = $3
            union all
            select m.roleid, c.path || g.rolname::text, c.can_set and (m.set_option or m.admin_option)
            from chain c
            join pg_auth_members m on m.member = c.oid
            join pg_roles g on g.oid = m.roleid
            where not g.rolname::text = any(c.path)
              and (m.inherit_option or m.admin_option or (c.can_set and m.set_option)))
        select distinct on (c.oid) g.rolname::text, c.path, g.rolsuper, g.rolbypassrls, g.rolcreaterole, c.can_set
        from chain c join pg_roles g on g.oid = c.oid
        where cardinality(c.path) > 1 or g.rolcreaterole
        order by c.oid, c.can_set desc, cardinality(c.path)
        """;

    private const string Privileges16Sql = """
        select t.oid, pg_has_role($3::text::name, t.relowner, 'USAGE') or pg_has_role($3::text::name, t.relowner, 'SET'),
               has_table_privilege($3::text::name, t.oid, 'TRUNCATE'), has_any_column_privilege($3::text::name, t.oid, 'REFERENCES'),
               has_table_privilege($3::text::name, t.oid, 'TRIGGER')
        from pg_class t
        where t.oid = any($1::oid[])
        order by 1
        """;

    // Tables with Row-Level Security and policies that are not in the model (no tenant column); $4: the model's tables.
    private const string OtherTablesSql = """
        select format('%I.%I', n.nspname, c.relname),
               array(select coalesce(pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)) from pg_policy p where p.polrelid = c.oid order by p.polname)
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and c.relrowsecurity and not c.relispartition
          and n.nspname <> 'information_schema' and n.nspname !~ '^pg_'
          and not (c.oid = any($4::oid[]))
          and exists (select from pg_policy p where p.polrelid = c.oid)
        order by 1
        """;

    // The login's effective search_path: its settings for this database, then its own, then the database's, then the server's.
    // $5: the SQL-executing built-ins' names.
    private const string HardeningSql = """
        with settings as (
            select s.cfg, case when d.setrole <> 0 and d.setdatabase <> 0 then 1 when d.setrole <> 0 then 2 else 3 end as rank
            from pg_db_role_setting d cross join unnest(d.setconfig) s(cfg)
            where (d.setrole = 0 or d.setrole = (select oid from pg_roles where rolname = $3))
              and (d.setdatabase = 0 or d.setdatabase = (select oid from pg_database where datname = current_database()))
              and not (d.setrole = 0 and d.setdatabase = 0)
              and s.cfg like 'search\_path=%')
        select has_database_privilege($3::text::name, current_database(), 'TEMP'),
               has_database_privilege($3::text::name, current_database(), 'CREATE'),
               array(select 'pg_catalog.' || p.proname || '(' || oidvectortypes(p.proargtypes) || ')' from pg_proc p
                     where p.pronamespace = 'pg_catalog'::regnamespace and p.proname = any($5::text[])
                       and has_function_privilege($3::text::name, p.oid, 'EXECUTE') order by 1),
               coalesce((select substr(cfg, 13) from settings order by rank limit 1), (select reset_val from pg_settings where name = 'search_path')),
               array(select n.nspname::text from pg_namespace n
                     where n.nspname !~ '^pg_' and n.nspname <> 'information_schema' and has_schema_privilege($3::text::name, n.oid, 'CREATE') order by 1),
               exists (select from pg_namespace n where n.nspname = $3)
        """;

    // $3: the app login. Null or empty results when support access is not installed.
    // (Catalog joins, not to_regclass: a name in a schema the auditing login may not use would raise an error.)
    private const string SupportReachSql = $$"""
        select coalesce((select bool_or(has_function_privilege($3::text::name, p.oid, 'EXECUTE'))
                         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                         where n.nspname = '{{SupportNames.Schema}}' and p.proname = '{{SupportNames.BeginFunction}}'), false),
               array(select pr.p from pg_class c join pg_namespace n on n.oid = c.relnamespace
                     cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) with ordinality pr(p, i)
                     where n.nspname = '{{SupportNames.Schema}}' and c.relname = '{{SupportNames.Table}}' and c.relkind = 'r'
                       and has_table_privilege($3::text::name, c.oid, pr.p) order by pr.i),
               array(select distinct r.rolname::text from pg_policy pol cross join unnest(pol.polroles) ro(oid) join pg_roles r on r.oid = ro.oid
                     where pol.polname in ('{{SupportNames.Policy}}', '{{SupportNames.ScopePolicy}}', '{{SupportNames.DeletePolicy}}')
                       and pg_has_role($3::text::name, r.oid, 'MEMBER') order by 1),
               coalesce((select bool_or(has_function_privilege($3::text::name, p.oid, 'EXECUTE'))
                         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                         where n.nspname = '{{SupportNames.Schema}}' and p.proname = '{{SupportNames.WriteFunction}}'), false),
               array(select pr.p from pg_class c join pg_namespace n on n.oid = c.relnamespace
                     cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) with ordinality pr(p, i)
                     where n.nspname = '{{SupportNames.Schema}}' and c.relname = '{{SupportNames.WritesTable}}' and c.relkind = 'r'
                       and has_table_privilege($3::text::name, c.oid, pr.p) order by pr.i)
        """;

    /// <summary>The audit's catalog: two round trips, catalog queries only (nothing is changed, no table data is read).</summary>
    public static async Task<AuditCatalog> ReadForAuditAsync(
        NpgsqlConnection connection, CatalogRequest request, string? appRole, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        AuditHead head;
        CatalogTables tables;
        var batch = CreateAuditHead(connection, request, appRole);
        await using (batch.ConfigureAwait(false))
        {
            var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                var server = (await ReadSetAsync(reader, ReadServer, cancellationToken).ConfigureAwait(false))[0];
                var role = await ReadSetAsync(reader, ReadRole, cancellationToken).ConfigureAwait(false);
                tables = new CatalogTables(await ReadTableSetsAsync(reader, request, cancellationToken).ConfigureAwait(false));
                head = new AuditHead(server, role);
            }
        }

        var knownRole = head.Role.Count > 0 ? appRole : null;
        progress?.Report(ReadingObjects(tables));
        var objects = CreateAuditObjects(connection, tables, knownRole, request.CommandTimeout, head.Server.VersionNum);
        await using (objects.ConfigureAwait(false))
        {
            var reader = await objects.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                var foreignKeys = await ReadSetAsync(reader, ReadForeignKey, cancellationToken).ConfigureAwait(false);
                var views = await ReadSetAsync(reader, ReadView, cancellationToken).ConfigureAwait(false);
                var definers = await ReadSetAsync(reader, ReadFunction, cancellationToken).ConfigureAwait(false);
                var owners = await ReadSetAsync(reader, ReadFunctionOwner, cancellationToken).ConfigureAwait(false);
                var functions = Functions(definers, owners);
                var others = await ReadSetAsync(reader, ReadOtherTable, cancellationToken).ConfigureAwait(false);
                var partitionGrants = await ReadSetAsync(reader, ReadPartitionGrant, cancellationToken).ConfigureAwait(false);
                AuditCatalog.AppLogin? login = null;
                if (knownRole is not null)
                {
                    var privileges = await ReadSetAsync(reader, ReadPrivileges, cancellationToken).ConfigureAwait(false);
                    var applying = await ReadSetAsync(reader, r => r.GetFieldValue<uint>(0), cancellationToken).ConfigureAwait(false);
                    var hardening = (await ReadSetAsync(reader, ReadHardening, cancellationToken).ConfigureAwait(false))[0];
                    var chains = await ReadSetAsync(reader, ReadRoleChain, cancellationToken).ConfigureAwait(false);
                    var support = (await ReadSetAsync(reader, ReadSupportReach, cancellationToken).ConfigureAwait(false))[0];
                    login = Login(knownRole, head.Role[0], ThroughChains(privileges, chains, tables), applying, hardening) with { Chains = chains, Support = support };
                }

                return Audit(head, tables, foreignKeys, views, functions, login ?? MissingLogin(appRole)) with { OtherTables = others, PartitionGrants = partitionGrants };
            }
        }
    }

    /// <summary>The audit's catalog: two round trips, catalog queries only (nothing is changed, no table data is read).</summary>
    public static AuditCatalog ReadForAudit(NpgsqlConnection connection, CatalogRequest request, string? appRole, IProgress<string>? progress = null)
    {
        AuditHead head;
        CatalogTables tables;
        using (var batch = CreateAuditHead(connection, request, appRole))
        using (var reader = batch.ExecuteReader())
        {
            var server = ReadSet(reader, ReadServer)[0];
            var role = ReadSet(reader, ReadRole);
            tables = new CatalogTables(ReadTableSets(reader, request));
            head = new AuditHead(server, role);
        }

        var knownRole = head.Role.Count > 0 ? appRole : null;
        progress?.Report(ReadingObjects(tables));
        using var objects = CreateAuditObjects(connection, tables, knownRole, request.CommandTimeout, head.Server.VersionNum);
        using var objectReader = objects.ExecuteReader();
        var foreignKeys = ReadSet(objectReader, ReadForeignKey);
        var views = ReadSet(objectReader, ReadView);
        var functions = Functions(ReadSet(objectReader, ReadFunction), ReadSet(objectReader, ReadFunctionOwner));
        var others = ReadSet(objectReader, ReadOtherTable);
        var partitionGrants = ReadSet(objectReader, ReadPartitionGrant);
        AuditCatalog.AppLogin? login = null;
        if (knownRole is not null)
        {
            var privileges = ReadSet(objectReader, ReadPrivileges);
            var applying = ReadSet(objectReader, r => r.GetFieldValue<uint>(0));
            var hardening = ReadSet(objectReader, ReadHardening)[0];
            var chains = ReadSet(objectReader, ReadRoleChain);
            var support = ReadSet(objectReader, ReadSupportReach)[0];
            login = Login(knownRole, head.Role[0], ThroughChains(privileges, chains, tables), applying, hardening) with { Chains = chains, Support = support };
        }

        return Audit(head, tables, foreignKeys, views, functions, login ?? MissingLogin(appRole)) with { OtherTables = others, PartitionGrants = partitionGrants };
    }

    private static string ReadingObjects(CatalogTables tables) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"audit 2/3: reading the views, functions, partitions and grants around {tables.Tables.Count:N0} tenant tables");

    private static NpgsqlBatch CreateAuditHead(NpgsqlConnection connection, CatalogRequest request, string? appRole)
    {
        var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(ServerSql),
                new NpgsqlBatchCommand(AppRoleSql) { Parameters = { Text(appRole) } },
            },
        };
        AddTableCommands(batch, request);
        if (request.CommandTimeout is { } timeout)
        {
            batch.Timeout = timeout;
        }

        return batch;
    }

    private static NpgsqlBatch CreateAuditObjects(NpgsqlConnection connection, CatalogTables tables, string? knownRole, int? timeout, int versionNum)
    {
        var (privilegesSql, chainsSql) = versionNum >= 160000 ? (Privileges16Sql, RoleChains16Sql) : (PrivilegesSql, RoleChainsSql);
        var rls = tables.Tables.Where(t => t.RowSecurity).Select(t => t.Oid).ToArray();
        var unforced = tables.Tables.Where(t => t.RowSecurity && !t.ForceRowSecurity).Select(t => t.Oid).ToArray();
        var all = tables.Tables.Select(t => t.Oid).ToArray();
        NpgsqlParameter[] Parameters() =>
        [
            OidArray(rls), OidArray(unforced), Text(knownRole), OidArray(all), TextArray([.. SqlExecutingBuiltIns.Names]),
        ];

        var batch = new NpgsqlBatch(connection);
        if (timeout is { } seconds)
        {
            batch.Timeout = seconds;
        }

        foreach (var sql in knownRole is null
            ? new[] { ForeignKeysSql, ViewsSql, FunctionsSql, FunctionOwnersSql, OtherTablesSql, PartitionGrantsSql }
            : [ForeignKeysSql, ViewsSql, FunctionsSql, FunctionOwnersSql, OtherTablesSql, PartitionGrantsSql, privilegesSql, PoliciesApplyingSql, HardeningSql, chainsSql, SupportReachSql])
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.AddRange(Parameters());
            batch.BatchCommands.Add(command);
        }

        return batch;
    }

    private static AuditCatalog Audit(
        AuditHead head, CatalogTables tables, List<AuditCatalog.ForeignKey> foreignKeys, List<AuditCatalog.DependentView> views,
        List<AuditCatalog.Function> functions, AuditCatalog.AppLogin? login) =>
        new(head.Server.Database, head.Server.QuotedDatabase, head.Server.VersionNum, head.Server.Version, head.Server.Signed, tables, foreignKeys, views, functions, login);

    // A chain reaches every role the login may act as (on PostgreSQL 16+, only through grants that allow SET ROLE or
    // inherit): one that reaches a table's owner acts as the owner, also where pg_has_role cannot tell (16+: SET ROLE to a
    // role that inherits the owner's rights).
    private static List<AuditCatalog.TablePrivileges> ThroughChains(
        List<AuditCatalog.TablePrivileges> privileges, List<AuditCatalog.RoleChain> chains, CatalogTables tables)
    {
        var reached = chains.Where(c => c.Path.Count > 1).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        return [.. privileges.Select(p => p.ActsAsOwner || !reached.Contains(tables.Find(p.TableOid)?.Owner ?? string.Empty) ? p : p with { ActsAsOwner = true })];
    }

    private static AuditCatalog.AppLogin? MissingLogin(string? appRole) => appRole is null
        ? null
        : new AuditCatalog.AppLogin(appRole, appRole, Exists: false, false, false, [], new HashSet<uint>(), false, false, [], string.Empty, [], false);

    private static AuditCatalog.AppLogin Login(
        string name, (bool Super, bool Bypass, string Quoted) role, List<AuditCatalog.TablePrivileges> privileges, List<uint> applying,
        (bool Temp, bool CreateSchema, string[] BuiltIns, string SearchPath, string[] Creatable, bool OwnSchema) hardening) => new(
            name, role.Quoted, Exists: true, role.Super, role.Bypass, privileges, applying.ToHashSet(), hardening.Temp, hardening.CreateSchema,
            [.. hardening.BuiltIns.Where(SqlExecutingBuiltIns.Signatures.Select(s => "pg_catalog." + s).Contains).Order(StringComparer.Ordinal)], hardening.SearchPath, hardening.Creatable, hardening.OwnSchema);

    private static NpgsqlParameter OidArray(uint[] values) => new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Oid };

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    // Reloptions keep the spelling the user wrote: on, true, yes, 1.
    private static bool IsOn(string value) => value is "on" or "true" or "yes" or "1" or "t" or "y";

    private static (int VersionNum, string Version, string Database, string QuotedDatabase, bool Signed) ReadServer(NpgsqlDataReader r) =>
        (r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetBoolean(4));

    private static (bool Super, bool Bypass, string Quoted) ReadRole(NpgsqlDataReader r) => (r.GetBoolean(0), r.GetBoolean(1), r.GetString(2));

    private static AuditCatalog.ForeignKey ReadForeignKey(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetFieldValue<uint>(2), r.GetFieldValue<int[]>(3));

    private static AuditCatalog.DependentView ReadView(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetBoolean(1), r.GetString(2), r.GetBoolean(3), IsOn(r.GetString(4)), r.GetFieldValue<uint>(5), r.GetBoolean(6))
        {
            Readers = r.GetFieldValue<string[]>(7),
        };

    private static (AuditCatalog.Function Function, uint OwnerOid) ReadFunction(NpgsqlDataReader r) =>
        (new(r.GetFieldValue<uint>(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetBoolean(5), r.GetBoolean(6), r.GetString(8),
            r.GetString(9), r.GetBoolean(10), r.GetFieldValue<uint[]>(11), r.GetFieldValue<uint[]>(12), []), r.GetFieldValue<uint>(7));

    private static AuditCatalog.PartitionGrant ReadPartitionGrant(NpgsqlDataReader r) =>
        new(r.GetFieldValue<uint>(0), r.GetString(1), r.GetFieldValue<string[]>(2));

    private static (uint Owner, uint[] Tables) ReadFunctionOwner(NpgsqlDataReader r) => (r.GetFieldValue<uint>(0), r.GetFieldValue<uint[]>(1));

    // Functions of one owner share its table list: the catalog grows with functions plus tables, not their product.
    private static List<AuditCatalog.Function> Functions(List<(AuditCatalog.Function Function, uint OwnerOid)> functions, List<(uint Owner, uint[] Tables)> owners)
    {
        var tablesOf = owners.ToDictionary(o => o.Owner, o => (IReadOnlyList<uint>)o.Tables);
        return [.. functions.Select(f => f.Function.SecurityDefiner ? f.Function with { UnforcedTablesOwned = tablesOf.GetValueOrDefault(f.OwnerOid, []) } : f.Function)];
    }

    private static AuditCatalog.TablePrivileges ReadPrivileges(NpgsqlDataReader r) =>
        new(r.GetFieldValue<uint>(0), r.GetBoolean(1), r.GetBoolean(2), r.GetBoolean(3), r.GetBoolean(4));

    private static AuditCatalog.SupportReach ReadSupportReach(NpgsqlDataReader r) =>
        new(r.GetBoolean(0), r.GetFieldValue<string[]>(1), r.GetFieldValue<string[]>(2))
        {
            MayLogWrite = r.GetBoolean(3), WriteLogPrivileges = r.GetFieldValue<string[]>(4),
        };

    private static AuditCatalog.RoleChain ReadRoleChain(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetFieldValue<string[]>(1), r.GetBoolean(2), r.GetBoolean(3), r.GetBoolean(4)) { CanSetRole = r.GetBoolean(5) };

    private static AuditCatalog.OtherTable ReadOtherTable(NpgsqlDataReader r) =>
        new(r.GetString(0), [.. r.GetFieldValue<string?[]>(1).OfType<string>()]);

    private static (bool, bool, string[], string, string[], bool) ReadHardening(NpgsqlDataReader r) =>
        (r.GetBoolean(0), r.GetBoolean(1), r.GetFieldValue<string[]>(2), r.IsDBNull(3) ? string.Empty : r.GetString(3), r.GetFieldValue<string[]>(4), r.GetBoolean(5));

    private sealed record AuditHead((int VersionNum, string Version, string Database, string QuotedDatabase, bool Signed) Server, List<(bool Super, bool Bypass, string Quoted)> Role);
}
