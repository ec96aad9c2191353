using System.Text;
using DapperTenants.Catalog;

namespace DapperTenants.Policies;

/// <summary>Support access's part of <see cref="PolicyInstaller.Script()"/>: re-runnable DDL with the same end state as applying.</summary>
internal static class SupportScript
{
    public static string Render(SupportModel model, IReadOnlyList<TableModel> models)
    {
        if (model.Role is not { } role)
        {
            return string.Empty;
        }

        var sql = new StringBuilder();
        sql.Append("\n-- Support access (PolicyInstaller.UseSupportAccess): an append-only access log that only the support role ")
            .Append(Identifiers.Quote(role)).Append(" writes,\n")
            .Append("-- through a SECURITY DEFINER function, and policies that admit that role to the tenants of its own logged session only.\n")
            .Append(RegistrySql.CreateSchema()).Append('\n')
            .Append(SupportSql.CreateTable(ifNotExists: true)).Append('\n')
            .Append(SupportSql.CreateIndex()).Append('\n')
            .Append(SupportSql.RevokeTableFromEveryone()).Append('\n')
            .Append(SupportSql.CreateWritesTable(ifNotExists: true)).Append('\n')
            .Append(SupportSql.CreateWritesIndex()).Append('\n')
            .Append(SupportSql.RevokeWritesTableFromEveryone()).Append('\n')
            .Append(SupportSql.GrantSchemaUsage(SupportNames.Schema, role)).Append('\n');
        foreach (var statement in SupportSql.CreateFunctions(role))
        {
            sql.Append(statement).Append('\n');
        }

        foreach (var table in models)
        {
            var relation = table.QualifiedName;
            sql.Append(SupportSql.GrantSchemaUsage(table.Schema, role)).Append('\n')
                .Append(SupportSql.GrantTable(relation, role)).Append('\n');
            foreach (var statement in SupportSql.DropPolicies(relation, ifExists: true).Concat(SupportSql.CreatePolicies(relation, table.TenantColumn, role)))
            {
                sql.Append(statement).Append('\n');
            }
        }

        // The isolation policies of a signed install call the verifier, which the support role must be able to run (it holds no token).
        var verifier = SignedContextNames.QualifiedVerifier + "(pg_catalog.text)";
        sql.Append("DO $dapper_tenants$\nBEGIN\n    IF pg_catalog.to_regprocedure(").Append(Identifiers.Literal(verifier)).Append(") IS NOT NULL THEN\n")
            .Append("        EXECUTE ").Append(Identifiers.Literal(SupportSql.GrantVerifier(role))).Append(";\n    END IF;\nEND\n$dapper_tenants$;\n");
        return sql.ToString();
    }
}
