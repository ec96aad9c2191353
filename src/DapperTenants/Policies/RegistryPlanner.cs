using DapperTenants.Catalog;
using static DapperTenants.Policies.Identifiers;

namespace DapperTenants.Policies;

/// <summary>Compares the registry model with its catalog and decides the steps, errors and warnings. No I/O.</summary>
/// <remarks>
/// The registry shares its schema with the signed context: a statement an earlier step of the same plan already makes
/// (creating the schema, granting USAGE on it) is not planned twice.
/// </remarks>
internal static class RegistryPlanner
{
    public static (IReadOnlyList<PolicyStep> Steps, IReadOnlyList<string> Warnings, IReadOnlyList<string> Errors) Plan(
        RegistryModel model, RegistryCatalog catalog, IReadOnlyList<string> roles, string installer, IReadOnlyCollection<string> plannedStatements)
    {
        var steps = new List<PolicyStep>();
        var warnings = new List<string>();
        var errors = new List<string>();
        var schema = RegistrySql.QualifiedSchema;
        var table = RegistryNames.QualifiedTable;
        var function = RegistryNames.QualifiedCreateFunction + "(text)";

        void Add(string target, string reason, params string[] statements)
        {
            var fresh = statements.Where(s => !plannedStatements.Contains(s)).ToArray();
            if (fresh.Length > 0)
            {
                steps.Add(new PolicyStep(target, reason, fresh));
            }
        }

        if (catalog.Schema is null)
        {
            // The signed context's steps may already create it.
            if (!plannedStatements.Any(s => s.StartsWith("CREATE SCHEMA ", StringComparison.Ordinal) && s.Contains(schema, StringComparison.Ordinal)))
            {
                Add(schema, "schema of the tenant registry missing", RegistrySql.CreateSchema());
            }
        }
        else if (!catalog.Schema.OwnedByInstaller)
        {
            errors.Add($"Schema {schema} is owned by {Quote(catalog.Schema.Owner)}, so the installer's login {Quote(installer)} cannot keep the tenant "
                + $"registry in it. Connect the installer as {Quote(catalog.Schema.Owner)}, or drop the schema.");
            return (steps, warnings, errors);
        }

        foreach (var role in catalog.RolesWithoutSchemaUsage)
        {
            Add(schema, $"role {Quote(role)} lacks USAGE on the schema of the tenant registry", RegistrySql.GrantSchemaUsage(role));
        }

        if (catalog.Table is not { } installed)
        {
            Add(table, "tenant registry missing", [.. RegistrySql.CreateTable(ifNotExists: false), .. roles.Select(RegistrySql.GrantSelect)]);
        }
        else if (!installed.OwnedByInstaller)
        {
            errors.Add($"The tenant registry {table} is owned by {Quote(installed.Owner)}, so the installer's login {Quote(installer)} cannot manage it. "
                + $"Connect the installer as {Quote(installed.Owner)}, or drop the table.");
        }
        else
        {
            if (installed.MissingColumns.Count > 0)
            {
                errors.Add($"The tenant registry {table} lacks the column(s) {string.Join(", ", installed.MissingColumns)} (or holds them with another type). "
                    + "Add them, or drop the table (after saving its rows) so that the installer creates it again.");
            }

            if (installed.MissingColumns.Count == 0 && !installed.StateCheckCurrent)
            {
                Add(table, "the tenant registry's check of the states lacks 'purging' (a registry older than TenantRegistry.PurgeAsync)", RegistrySql.ReplaceStateCheck());
            }

            foreach (var writer in installed.Writers)
            {
                var grantee = writer == "PUBLIC" ? "PUBLIC" : "role " + Quote(writer);
                Add(table, $"{grantee} may change the tenant registry", RegistrySql.RevokeWrites(writer));
            }

            foreach (var role in installed.RolesWithoutSelect)
            {
                Add(table, $"role {Quote(role)} may not read the tenant registry", RegistrySql.GrantSelect(role));
            }
        }

        PlanFunction(model, catalog.Function, roles, installer, function, Add, errors);
        if (roles.Count == 0)
        {
            var app = "<the application's login>";
            warnings.Add($"No role was given to GrantTo, so only the owner may read the tenant registry {table}: a data source with "
                + "TenantOptions.RequireRegisteredTenant opens no tenant until its login may. Call GrantTo(\"<login>\") (dapper-tenants --grant-to), or run: "
                + $"{RegistrySql.GrantSchemaUsage(app)} {RegistrySql.GrantSelect(app)}");
        }

        return (steps, warnings, errors);
    }

    private static void PlanFunction(
        RegistryModel model, RegistryCatalog.FunctionInfo? installed, IReadOnlyList<string> roles, string installer, string target,
        Action<string, string, string[]> add, List<string> errors)
    {
        if (installed is not null && !installed.OwnedByInstaller)
        {
            errors.Add($"Function {target} is owned by {Quote(installed.Owner)}, so the installer's login {Quote(installer)} cannot replace or drop it. "
                + $"Connect the installer as {Quote(installed.Owner)}, or drop the function.");
            return;
        }

        if (!model.AppMayCreate)
        {
            if (installed is not null)
            {
                add(target, "the app login may register tenants, but UseTenantRegistry did not allow it", [RegistrySql.DropFunction()]);
            }

            return;
        }

        if (installed is null)
        {
            add(target, "function that registers a missing tenant missing", [.. RegistrySql.CreateFunction(), .. roles.Select(RegistrySql.GrantExecute)]);
            return;
        }

        if (!installed.Matches)
        {
            // Replacing it also takes EXECUTE from everyone, so the grants follow.
            add(target, "function differs from the model", [.. RegistrySql.CreateFunction(), .. roles.Select(RegistrySql.GrantExecute)]);
            return;
        }

        foreach (var executor in installed.Executors.Where(e => !roles.Contains(e)))
        {
            add(target, $"{(executor == "PUBLIC" ? "PUBLIC" : "role " + Quote(executor))} may register tenants", [RegistrySql.RevokeExecute(executor)]);
        }

        foreach (var role in installed.RolesWithoutExecute)
        {
            add(target, $"role {Quote(role)} lacks EXECUTE on the function", [RegistrySql.GrantExecute(role)]);
        }
    }
}
