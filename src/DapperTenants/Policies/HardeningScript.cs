using System.Text;
using static DapperTenants.Policies.Identifiers;

namespace DapperTenants.Policies;

/// <summary>
/// The hardening section of <see cref="PolicyInstaller.Script()"/>: each change runs where the script's login has the
/// right to make it, and says exactly what to run (and as whom) where it does not.
/// </summary>
internal static class HardeningScript
{
    public static void Render(StringBuilder sql, HardeningModel model, IReadOnlyList<string> schemas, IReadOnlyList<string> roles)
    {
        if (!model.Enabled)
        {
            return;
        }

        sql.Append("\n-- Hardening (PolicyInstaller.Harden()): what the app login may do besides reading and writing rows.\n")
            .Append("-- 1. No temporary objects: they outlive a lease in a pool that does not reset sessions, and a function in pg_temp\n")
            .Append("--    runs SQL no check of the statement's text can see. Only the database's owner may change its grants.\n")
            .Append("DO $dapper_tenants$\nBEGIN\n")
            .Append("    IF pg_has_role((SELECT datdba FROM pg_database WHERE datname = current_database()), 'USAGE') THEN\n")
            .Append("        EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());\n");
        foreach (var role in roles.Except(model.TemporaryRoles))
        {
            sql.Append("        EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM %I', current_database(), ").Append(Literal(role)).Append(");\n");
        }

        foreach (var role in model.TemporaryRoles)
        {
            sql.Append("        EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO %I', current_database(), ").Append(Literal(role)).Append(");\n");
        }

        sql.Append("    ELSE\n")
            .Append("        RAISE WARNING 'DapperTenants hardening: % does not own database %, so PUBLIC keeps TEMPORARY on it. As its owner, run: REVOKE TEMPORARY ON DATABASE % FROM PUBLIC;',\n")
            .Append("            current_user, current_database(), quote_ident(current_database());\n")
            .Append("    END IF;\nEND\n$dapper_tenants$;\n")
            .Append("-- 2. No CREATE in the tables' schemas for PUBLIC or the app login: an object created there shadows the application's.\n")
            .Append("--    Only a schema's owner may revoke it.\n");
        foreach (var schema in schemas.Distinct())
        {
            var grantees = roles.Select(Quote).Prepend("PUBLIC").ToList();
            var statements = string.Concat(grantees.Select(g => "\n        " + HardeningSql.RevokeCreate(schema, g)));
            sql.Append("DO $dapper_tenants$\nBEGIN\n")
                .Append("    IF pg_has_role((SELECT nspowner FROM pg_namespace WHERE nspname = ").Append(Literal(schema)).Append("), 'USAGE') THEN")
                .Append(statements).Append('\n')
                .Append("    ELSE\n")
                .Append("        RAISE WARNING 'DapperTenants hardening: % does not own schema %, so CREATE on it is unchanged. As its owner, run: %', current_user, ")
                .Append(Literal(Quote(schema))).Append(", ").Append(Literal(string.Join(" ", grantees.Select(g => HardeningSql.RevokeCreate(schema, g))))).Append(";\n")
                .Append("    END IF;\nEND\n$dapper_tenants$;\n");
        }

        var revokes = HardeningSql.RevokeBuiltIns(HardeningSql.BuiltIns);
        sql.Append("-- 3. No built-ins that run a query given as text (query_to_xml and kin, ts_stat, ts_rewrite, cursor_to_xml).\n")
            .Append("--    They belong to the bootstrap superuser: revoking them from PUBLIC needs a superuser, in each database.\n")
            .Append("DO $dapper_tenants$\nBEGIN\n")
            .Append("    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN\n")
            .Append(string.Concat(revokes.Split('\n').Select(r => "        " + r + "\n")))
            .Append("    ELSE\n")
            .Append("        RAISE WARNING 'DapperTenants hardening: % is not a superuser, so PUBLIC keeps EXECUTE on the SQL-executing built-ins. As a superuser, run in this database: %', current_user, ")
            .Append(Literal(revokes.Replace('\n', ' '))).Append(";\n")
            .Append("    END IF;\nEND\n$dapper_tenants$;\n");
    }
}
