using System.Text;
using static DapperTenants.Policies.Identifiers;

namespace DapperTenants.Policies;

/// <summary>
/// The Citus section of <see cref="PolicyInstaller.Script()"/> with <see cref="PolicyInstaller.UseCitus"/>: how each
/// <see cref="RlsAttribute"/> table is distributed, and the setting that lets <c>SET LOCAL</c> reach the workers.
/// Written from Citus's documentation and source (docs/scale-out.md); never run against Citus here.
/// </summary>
internal static class CitusScript
{
    public const string Header =
        "-- Citus mode (PolicyInstaller.UseCitus()): the policies have no sub-select (Citus refuses one on a distributed table),\n"
        + "-- and the tables are distributed by their tenant column at the end. Written from Citus's documentation and source,\n"
        + "-- not run against Citus by DapperTenants: run docs/citus-isolation-checklist.sql on your cluster.\n"
        + "-- NOT BUILT YET: the tenant context in Citus mode (SET LOCAL in a transaction block). DapperTenants connections still\n"
        + "-- send set_config, which Citus does not propagate to the workers: there, such a connection sees no rows.\n";

    public static void Render(StringBuilder sql, IReadOnlyList<TableModel> models, IReadOnlyList<string> roles)
    {
        sql.Append("\n-- Citus: shared rows have a NULL tenant, which a distribution column cannot hold, so SharedRows tables become\n")
            .Append("-- reference tables (a copy on every node), first, so that distributed tables may reference them.\n");
        var reference = models.Where(m => m.SharedRows).ToList();
        foreach (var model in reference)
        {
            sql.Append("SELECT create_reference_table(").Append(Literal(model.QualifiedName)).Append(")\n")
                .Append(NotDistributed(model)).Append(";\n");
        }

        if (reference.Count == 0)
        {
            sql.Append("-- (none)\n");
        }

        sql.Append("-- Every other table is distributed by its tenant column, in the order the types were registered, co-located with the\n")
            .Append("-- first table of the same tenant type: one tenant's rows of every table on the same node, so joins stay local.\n")
            .Append("-- Keys must include the tenant column; register referenced tables before the tables that reference them.\n")
            .Append("-- A table already distributed is left as it is.\n");
        var anchors = new Dictionary<TenantSqlType, TableModel>();
        foreach (var model in models.Where(m => !m.SharedRows))
        {
            sql.Append("SELECT create_distributed_table(").Append(Literal(model.QualifiedName)).Append(", ")
                .Append(Literal(model.TenantColumn));
            if (anchors.TryGetValue(model.Type, out var anchor))
            {
                sql.Append(", colocate_with => ").Append(Literal(anchor.QualifiedName));
            }
            else
            {
                anchors.Add(model.Type, model);
            }

            sql.Append(")\n").Append(NotDistributed(model)).Append(";\n");
        }

        sql.Append("\n-- Citus sends SET LOCAL to the workers only with citus.propagate_set_commands = 'local' (the default is 'none').\n")
            .Append("-- New sessions of the role pick it up: recycle the application's pooled connections.\n");
        foreach (var role in roles)
        {
            sql.Append("ALTER ROLE ").Append(Quote(role)).Append(" SET citus.propagate_set_commands = 'local';\n");
        }

        if (roles.Count == 0)
        {
            sql.Append("-- No GrantTo role: run ALTER ROLE <the application's login> SET citus.propagate_set_commands = 'local';\n");
        }
    }

    // Citus refuses to distribute a table twice; the guard makes the script re-runnable.
    private static string NotDistributed(TableModel model) =>
        "WHERE NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = " + Literal(model.QualifiedName) + "::regclass)";
}
