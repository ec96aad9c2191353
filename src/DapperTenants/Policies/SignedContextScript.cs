using System.Text;
using DapperTenants.Catalog;

namespace DapperTenants.Policies;

/// <summary>The signed context's part of <see cref="PolicyScript"/>: re-runnable DDL, and each key as a placeholder unless asked.</summary>
internal static class SignedContextScript
{
    public static void Render(StringBuilder sql, SignedContextModel model, IReadOnlyList<string> roles, bool includeKeys)
    {
        if (!model.Signed)
        {
            return;
        }

        sql.Append("\n-- Signed tenant context (PolicyInstaller.UseSignedContext): the policies below accept a tenant only from a token\n")
            .Append("-- that ").Append(SignedContextNames.QualifiedVerifier).Append(" verifies with a key of ").Append(SignedContextNames.QualifiedKeyTable)
            .Append(",\n-- a table only its owner (the role running this script) can read.\n")
            .Append(SignedContextSql.CreateSchema(ifNotExists: true)).Append('\n')
            .Append(SignedContextSql.RevokeSchemaCreate("PUBLIC")).Append('\n');
        foreach (var statement in SignedContextSql.CreateKeyTable(ifNotExists: true))
        {
            sql.Append(statement).Append('\n');
        }

        foreach (var function in SignedContextSql.Functions)
        {
            foreach (var statement in SignedContextSql.CreateFunction(function))
            {
                sql.Append(statement).Append('\n');
            }
        }

        foreach (var role in roles)
        {
            sql.Append(SignedContextSql.GrantSchemaUsage(role)).Append('\n');
            foreach (var function in SignedContextSql.Functions.Where(f => f.GrantToApp))
            {
                sql.Append(SignedContextSql.GrantFunction(function, role)).Append('\n');
            }
        }

        foreach (var key in model.Keys)
        {
            sql.Append("-- Signing key '").Append(key.KeyId).Append('\'');
            if (includeKeys)
            {
                sql.Append(" (included on request: keep this script as secret as the key).\n")
                    .Append(SignedContextSql.InstallKeyFromHex(key.KeyId, Identifiers.Literal(Convert.ToHexStringLower(key.Key)))).Append('\n');
                continue;
            }

            var variable = SignedContextSql.KeyVariable(key.KeyId);
            sql.Append(": not in this script. Give it as hex (at least 64 hex digits) before running it:\n")
                .Append("--   psql: \\set ").Append(variable).Append(" `cat /path/to/key.hex`   (or psql -v ").Append(variable).Append("=...)\n")
                .Append("--   other tools: replace :'").Append(variable).Append("' below with the hex key as a string literal.\n")
                .Append("-- Left unfilled, the statement is a syntax error and the script fails: it never installs a blank key.\n")
                .Append(SignedContextSql.InstallKeyFromHex(key.KeyId, ":'" + variable + "'")).Append('\n');
        }
    }

    public static void RenderRetirements(StringBuilder sql, SignedContextModel model)
    {
        foreach (var keyId in model.Retired)
        {
            sql.Append("\n-- Signing key '").Append(keyId).Append("' retired: tokens signed with it no longer verify.\n")
                .Append("DO $dapper_tenants$\nBEGIN\n    IF pg_catalog.to_regclass(")
                .Append(Identifiers.Literal(SignedContextNames.QualifiedKeyTable)).Append(") IS NOT NULL THEN\n        ")
                .Append(SignedContextSql.RetireKey(keyId)).Append("\n    END IF;\nEND\n$dapper_tenants$;\n");
        }
    }
}
