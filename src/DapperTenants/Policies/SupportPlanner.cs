using DapperTenants.Catalog;
using static DapperTenants.Policies.Identifiers;

namespace DapperTenants.Policies;

/// <summary>Compares the support access model with its catalog and decides the steps, errors and warnings. No I/O.</summary>
internal static class SupportPlanner
{
    public static (IReadOnlyList<PolicyStep> Steps, IReadOnlyList<string> Warnings, IReadOnlyList<string> Errors) Plan(
        string role, SupportCatalog catalog, IReadOnlyList<TableModel> models, IReadOnlyList<string> appRoles, string installer,
        IReadOnlyCollection<string> plannedStatements, bool signed)
    {
        var steps = new List<PolicyStep>();
        var warnings = new List<string>();
        var errors = new List<string>();
        var r = Quote(role);
        var schema = Quote(SupportNames.Schema);
        var planned = new HashSet<string>(plannedStatements, StringComparer.Ordinal);

        void Add(string target, string reason, params string[] statements)
        {
            var fresh = statements.Where(planned.Add).ToArray();
            if (fresh.Length > 0)
            {
                steps.Add(new PolicyStep(target, reason, fresh));
            }
        }

        if (catalog.Role is not { } info)
        {
            errors.Add($"The support role {r} given to UseSupportAccess does not exist. Create it first: CREATE ROLE {r} NOLOGIN NOSUPERUSER NOBYPASSRLS; "
                + $"then GRANT {r} TO <each operator's login>; (see docs/support-access.md).");
            return (steps, warnings, errors);
        }

        if (info.Superuser || info.BypassesRls)
        {
            errors.Add($"The support role {r} is {(info.Superuser ? "a superuser" : "BYPASSRLS")}, so no policy applies to it and its sessions would read every tenant "
                + $"without a log row. ALTER ROLE {r} NOSUPERUSER NOBYPASSRLS;");
        }

        if (appRoles.Contains(role))
        {
            errors.Add($"The support role {r} is also given to GrantTo: the application's login would be the support role. Give the support path a role of its own.");
        }

        if (errors.Count > 0)
        {
            return (steps, warnings, errors);
        }

        if (catalog.Schema is null)
        {
            if (!planned.Any(s => s.StartsWith("CREATE SCHEMA ", StringComparison.Ordinal) && s.Contains(schema, StringComparison.Ordinal)))
            {
                Add(schema, "schema of the access log missing", RegistrySql.CreateSchema());
            }
        }
        else if (!catalog.Schema.OwnedByInstaller)
        {
            errors.Add($"Schema {schema} is owned by {Quote(catalog.Schema.Owner)}, so the installer's login {Quote(installer)} cannot keep the access log in it. "
                + $"Connect the installer as {Quote(catalog.Schema.Owner)}, or drop the schema.");
            return (steps, warnings, errors);
        }

        if (!catalog.RoleHasSchemaUsage)
        {
            Add(schema, $"support role {r} lacks USAGE on the schema of the access log", SupportSql.GrantSchemaUsage(SupportNames.Schema, role));
        }

        var table = SupportNames.QualifiedTable;
        if (catalog.Table is not { } log)
        {
            Add(table, "access log missing", SupportSql.CreateTable(ifNotExists: false), SupportSql.CreateIndex(), SupportSql.RevokeTableFromEveryone());
        }
        else if (!log.OwnedByInstaller)
        {
            errors.Add($"The access log {table} is owned by {Quote(log.Owner)}, so the installer's login {Quote(installer)} cannot manage it. "
                + $"Connect the installer as {Quote(log.Owner)}, or drop the table (after saving its rows).");
        }
        else
        {
            if (log.MissingColumns.Count > 0)
            {
                errors.Add($"The access log {table} lacks the column(s) {string.Join(", ", log.MissingColumns)} (or holds them with another type). "
                    + "Save its rows elsewhere, drop it, and run the installer again.");
            }

            foreach (var grantee in log.Grantees)
            {
                Add(table, $"{Who(grantee)} may read or change the access log directly", SupportSql.RevokeTable(grantee));
            }
        }

        var writes = SupportNames.QualifiedWritesTable;
        if (catalog.WritesTable is not { } writeLog)
        {
            Add(writes, "write log missing", SupportSql.CreateWritesTable(ifNotExists: false), SupportSql.CreateWritesIndex(), SupportSql.RevokeWritesTableFromEveryone());
        }
        else if (!writeLog.OwnedByInstaller)
        {
            errors.Add($"The write log {writes} is owned by {Quote(writeLog.Owner)}, so the installer's login {Quote(installer)} cannot manage it. "
                + $"Connect the installer as {Quote(writeLog.Owner)}, or drop the table (after saving its rows).");
        }
        else
        {
            if (writeLog.MissingColumns.Count > 0)
            {
                errors.Add($"The write log {writes} lacks the column(s) {string.Join(", ", writeLog.MissingColumns)} (or holds them with another type). "
                    + "Save its rows elsewhere, drop it, and run the installer again.");
            }

            foreach (var grantee in writeLog.Grantees)
            {
                Add(writes, $"{Who(grantee)} may read or change the write log directly", SupportSql.RevokeWritesTable(grantee));
            }
        }

        PlanFunctions(role, catalog.Functions, installer, Add, errors);

        foreach (var (model, found) in models.Zip(catalog.Tables))
        {
            var relation = model.QualifiedName;
            if (!found.Exists)
            {
                continue; // the tables' plan reports it
            }

            if (!found.RoleHasSchemaUsage)
            {
                Add(Quote(model.Schema), $"support role {r} lacks USAGE on the schema", SupportSql.GrantSchemaUsage(model.Schema, role));
            }

            if (!found.RoleHasPrivileges)
            {
                Add(relation, $"support role {r} lacks SELECT, INSERT, UPDATE, DELETE (its policies decide the rows)", SupportSql.GrantTable(relation, role));
            }

            var marker = SupportSql.Marker(relation, model.TenantColumn, role);
            if (found.Markers.Any(m => m != marker))
            {
                var reason = found.Markers.All(m => m is null) ? "support policies missing" : "support policies differ from the model";
                Add(relation, reason, [.. SupportSql.DropPolicies(relation, ifExists: true), .. SupportSql.CreatePolicies(relation, model.TenantColumn, role)]);
            }
        }

        if ((signed || catalog.RoleMayVerify is not null) && catalog.RoleMayVerify != true)
        {
            // The tables' isolation policy is for PUBLIC and calls the verifier: without EXECUTE every statement of the support role fails.
            Add(SignedContextNames.QualifiedVerifier, $"support role {r} cannot evaluate the signed isolation policy (it never holds a valid token)",
                SupportSql.GrantVerifier(role));
        }

        return (steps, warnings, errors);
    }

    private static void PlanFunctions(
        string role, IReadOnlyList<SupportCatalog.FunctionInfo> functions, string installer, Action<string, string, string[]> add, List<string> errors)
    {
        var bodies = new Dictionary<string, string>
        {
            [SupportNames.BeginSignature] = SupportSql.BeginBody(role),
            [SupportNames.AllSignature] = SupportSql.AllBody,
            [SupportNames.TenantsSignature] = SupportSql.TenantsBody,
            [SupportNames.WriteSignature] = SupportSql.WriteBody(role),
        };
        var stale = false;
        foreach (var function in functions)
        {
            if (function.Exists && !function.OwnedByInstaller)
            {
                errors.Add($"Function {function.Signature} is owned by {Quote(function.Owner ?? "")}, so the installer's login {Quote(installer)} cannot replace it. "
                    + $"Connect the installer as {Quote(function.Owner ?? "")}, or drop the function.");
                return;
            }

            stale |= !function.Exists || !function.SafeDefinition || function.Source != bodies[function.Signature];
        }

        if (stale)
        {
            add(SupportNames.Schema, "support access functions missing or different from the model", SupportSql.CreateFunctions(role));
            return;
        }

        foreach (var function in functions)
        {
            foreach (var executor in function.Executors.Where(e => e != role))
            {
                add(function.Signature, $"{Who(executor)} may execute a support access function", [SupportSql.RevokeExecute(function.Signature, executor)]);
            }

            if (!function.RoleMayExecute)
            {
                add(function.Signature, $"support role {Quote(role)} lacks EXECUTE", [SupportSql.GrantExecute(function.Signature, role)]);
            }
        }
    }

    private static string Who(string grantee) => grantee == "PUBLIC" ? "PUBLIC" : "role " + Quote(grantee);
}
