using DapperTenants.Catalog;
using static DapperTenants.Policies.Identifiers;

namespace DapperTenants.Policies;

/// <summary>
/// Plans the hardening from the catalog: a step where the installer's login has the right to make the change, else a
/// warning with the exact statements for whoever has it. No I/O.
/// </summary>
internal static class HardeningPlanner
{
    public static (IReadOnlyList<PolicyStep> Steps, IReadOnlyList<string> Warnings) Plan(
        HardeningCatalog catalog, HardeningModel model, IReadOnlyList<string> roles, string installer)
    {
        var steps = new List<PolicyStep>();
        var warnings = new List<string>();
        var database = catalog.QuotedDatabase;

        List<string> temporary = [];
        if (catalog.PublicTemporary)
        {
            temporary.Add(HardeningSql.RevokeTemporary(database, "PUBLIC"));
            temporary.AddRange(model.TemporaryRoles.Select(r => HardeningSql.GrantTemporary(database, r)));
        }

        temporary.AddRange(catalog.RolesWithTemporary.Where(r => !model.TemporaryRoles.Contains(r)).Select(r => HardeningSql.RevokeTemporary(database, Quote(r))));
        if (temporary.Count > 0)
        {
            const string reason = "the app login may create temporary objects";
            if (catalog.OwnsDatabase)
            {
                steps.Add(new PolicyStep(database, reason, [.. temporary]));
            }
            else
            {
                warnings.Add($"Database {database}: {reason}, which outlive a lease in a pool that does not reset sessions and hold SQL the guard cannot see; "
                    + $"only the database's owner may change that. As the owner, run: {string.Join(" ", temporary)}");
            }
        }

        foreach (var schema in catalog.Schemas)
        {
            var revokes = (schema.PublicCreate ? [HardeningSql.RevokeCreate(schema.Name, "PUBLIC")] : new List<string>())
                .Concat(schema.RolesWithCreate.Where(roles.Contains).Select(r => HardeningSql.RevokeCreate(schema.Name, Quote(r))))
                .ToArray();
            if (revokes.Length == 0)
            {
                continue;
            }

            const string reason = "the app login may create objects that shadow the application's";
            if (schema.Owned)
            {
                steps.Add(new PolicyStep(Quote(schema.Name), reason, revokes));
            }
            else
            {
                warnings.Add($"Schema {Quote(schema.Name)}: {reason}; only its owner may revoke CREATE. As the owner, run: {string.Join(" ", revokes)}");
            }
        }

        if (catalog.PublicBuiltIns.Count > 0)
        {
            const string reason = "PUBLIC may execute built-ins that run a query given as text";
            if (catalog.IsSuperuser)
            {
                steps.Add(new PolicyStep("pg_catalog", reason, [.. catalog.PublicBuiltIns.Select(HardeningSql.RevokeExecute)]));
            }
            else
            {
                warnings.Add($"{reason} (query_to_xml and kin, ts_stat, ts_rewrite, cursor_to_xml), so SQL in a string can change the tenant setting. "
                    + $"Revoking them needs a superuser (they belong to the bootstrap superuser; {Quote(installer)} is not one). As a superuser, "
                    + $"run in this database: {string.Join(" ", catalog.PublicBuiltIns.Select(HardeningSql.RevokeExecute))}");
            }
        }

        return (steps, warnings);
    }
}
