using DapperTenants.Testing;
using Npgsql;

namespace DapperTenants.Tests.Policies;

/// <summary>Reads RLS state back from the catalog as a superuser, for assertions.</summary>
public static class CatalogProbe
{
    public const string TextValue = "NULLIF(current_setting('dapper_tenants.tenant'::text, true), ''::text)";

    /// <summary>What PostgreSQL 15 prints for the isolation policy of a text column named <c>tenant</c>.</summary>
    public const string TextPolicy = $"(tenant = ( SELECT {TextValue} AS \"nullif\"))";

    public static async Task<(bool Enabled, bool Forced)> RlsAsync(TestDatabase database, string qualifiedTable)
    {
        await using var admin = new NpgsqlConnection(database.AdminConnectionString);
        return await admin.QuerySingleAsync<(bool, bool)>(
            "select relrowsecurity, relforcerowsecurity from pg_class where oid = @Table::regclass", new { Table = qualifiedTable });
    }

    public static async Task<PolicyRow?> PolicyAsync(TestDatabase database, string qualifiedTable, string name = "dapper_tenants_isolation")
    {
        await using var admin = new NpgsqlConnection(database.AdminConnectionString);
        return await admin.QuerySingleOrDefaultAsync<PolicyRow>("""
            select polname as Name, polpermissive as Permissive, polcmd::text as Command, polroles = '{0}'::oid[] as ToPublic,
                   pg_get_expr(polqual, polrelid) as Using, pg_get_expr(polwithcheck, polrelid) as "Check"
            from pg_policy where polrelid = @Table::regclass and polname = @Name
            """, new { Table = qualifiedTable, Name = name });
    }

    public static async Task<string?> DefaultAsync(TestDatabase database, string qualifiedTable, string column)
    {
        await using var admin = new NpgsqlConnection(database.AdminConnectionString);
        return await admin.QuerySingleOrDefaultAsync<string?>("""
            select pg_get_expr(d.adbin, d.adrelid) from pg_attrdef d
            join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
            where d.adrelid = @Table::regclass and a.attname = @Column
            """, new { Table = qualifiedTable, Column = column });
    }

    /// <summary>
    /// Row versions of everything the installer changes: a statement that rewrites a catalog row (even to the same
    /// value) changes its xmin, so an unchanged fingerprint means no DDL touched these objects.
    /// </summary>
    public static async Task<string> FingerprintAsync(TestDatabase database)
    {
        await using var admin = new NpgsqlConnection(database.AdminConnectionString);
        var rows = await admin.QueryAsync<string>("""
            select 'class ' || oid::regclass::text || ' ' || xmin::text from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p')
            union all
            select 'policy ' || polrelid::regclass::text || ' ' || polname || ' ' || oid::text || ' ' || xmin::text from pg_policy
            union all
            select 'default ' || adrelid::regclass::text || ' ' || oid::text || ' ' || xmin::text from pg_attrdef
            order by 1
            """);
        return string.Join("\n", rows);
    }

    /// <summary>
    /// The RLS-relevant state of every user schema: tables' flags and grants, policies, defaults, schema grants.
    /// The database's own role names are replaced with <c>owner</c> and <c>app</c>, so two databases compare equal.
    /// </summary>
    public static async Task<string> SnapshotAsync(TestDatabase database)
    {
        await using var admin = new NpgsqlConnection(database.AdminConnectionString);
        var rows = await admin.QueryAsync<string>("""
            with s as (select oid, nspname from pg_namespace where nspname not like 'pg\_%' and nspname <> 'information_schema')
            select format('relation %I.%I kind=%s rls=%s force=%s acl=%s', s.nspname, c.relname, c.relkind, c.relrowsecurity,
                          c.relforcerowsecurity, coalesce(c.relacl::text, '-'))
            from pg_class c join s on s.oid = c.relnamespace where c.relkind in ('r', 'p', 'S')
            union all
            select format('policy %I.%I %I permissive=%s cmd=%s roles=%s using=%s check=%s', s.nspname, c.relname, p.polname, p.polpermissive,
                          p.polcmd, p.polroles::text, pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
            from pg_policy p join pg_class c on c.oid = p.polrelid join s on s.oid = c.relnamespace
            union all
            select format('default %I.%I.%I %s', s.nspname, c.relname, a.attname, pg_get_expr(d.adbin, d.adrelid))
            from pg_attrdef d join pg_class c on c.oid = d.adrelid join s on s.oid = c.relnamespace
            join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
            union all
            select format('schema %I acl=%s', s.nspname, coalesce(n.nspacl::text, '-')) from s join pg_namespace n on n.oid = s.oid
            order by 1
            """);
        return string.Join("\n", rows).Replace(database.OwnerRole, "owner", StringComparison.Ordinal).Replace(database.AppRole, "app", StringComparison.Ordinal);
    }

    public sealed record PolicyRow(string Name, bool Permissive, string Command, bool ToPublic, string? Using, string? Check);
}
