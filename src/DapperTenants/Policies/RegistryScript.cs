using System.Text;
using DapperTenants.Catalog;

namespace DapperTenants.Policies;

/// <summary>The tenant registry's part of <see cref="PolicyScript"/>: re-runnable DDL with the same end state as applying.</summary>
internal static class RegistryScript
{
    public static void Render(StringBuilder sql, RegistryModel model, IReadOnlyList<string> roles)
    {
        if (!model.Enabled)
        {
            return;
        }

        sql.Append("\n-- Tenant registry (PolicyInstaller.UseTenantRegistry()): one row per tenant, written by the owner (the role running\n")
            .Append("-- this script) through TenantRegistry, read by the app login for TenantOptions.RequireRegisteredTenant. Nobody else may change it.\n")
            .Append(RegistrySql.CreateSchema()).Append('\n')
            .Append(RegistrySql.CreateTable(ifNotExists: true)[0]).Append('\n')
            .Append(RegistrySql.RevokeWritesFromEveryone()).Append('\n');
        foreach (var role in roles)
        {
            sql.Append(RegistrySql.GrantSchemaUsage(role)).Append('\n').Append(RegistrySql.GrantSelect(role)).Append('\n');
        }

        if (!model.AppMayCreate)
        {
            sql.Append("-- The app login may not register tenants (UseTenantRegistry(TenantRegistryAccess.ReadOnly)).\n")
                .Append(RegistrySql.DropFunctionIfExists()).Append('\n');
            return;
        }

        sql.Append("-- The app login may register a missing tenant, and nothing else (TenantRegistryAccess.CreateIfMissing), through\n")
            .Append("-- ").Append(RegistryNames.QualifiedCreateFunction).Append(", SECURITY DEFINER: it never changes an existing tenant.\n");
        foreach (var statement in RegistrySql.CreateFunction())
        {
            sql.Append(statement).Append('\n');
        }

        foreach (var role in roles)
        {
            sql.Append(RegistrySql.GrantExecute(role)).Append('\n');
        }
    }
}
