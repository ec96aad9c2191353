using System.CommandLine;
using DapperTenants.Cli.Audit;

namespace DapperTenants.Cli.Commands;

/// <summary><c>audit</c>: inspect a live database's Row-Level Security setup and report findings with why and how to fix.</summary>
internal static class AuditCommand
{
    public static Command Create(CliContext context)
    {
        var connection = CliOptions.Connection(
            "A connection string to the database to audit, preferably as the tables' owner or a superuser (any role can read the catalog).");
        var appRole = new Option<string?>("--app-role")
        {
            Description = "The login the application connects as: checked for superuser, BYPASSRLS, ownership, TRUNCATE and REFERENCES.",
        };
        var tenantColumns = new Option<string[]>("--tenant-column")
        {
            Description = "A column name that marks a tenant table (repeatable). Replaces the defaults: tenant, tenant_id.",
        };
        var json = new Option<bool>("--json") { Description = "Write the report as JSON (schemaVersion 1) instead of text." };
        var ignore = new Option<string[]>("--ignore")
        {
            Description = "Finding codes to leave out, such as DT020 or DT060,DT061 (repeatable).",
            CustomParser = result => [.. result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Select(c => c.ToUpperInvariant())],
        };
        ignore.Validators.Add(result =>
        {
            var unknown = (result.GetValueOrDefault<string[]>() ?? []).Where(c => !FindingCodes.All.ContainsKey(c)).ToList();
            if (unknown.Count > 0)
            {
                result.AddError($"--ignore: unknown finding code(s) {string.Join(", ", unknown)}. Known codes: {string.Join(", ", FindingCodes.All.Keys.Order(StringComparer.Ordinal))}.");
            }
        });
        tenantColumns.Validators.Add(result =>
        {
            if ((result.GetValueOrDefault<string[]>() ?? []).Any(string.IsNullOrWhiteSpace))
            {
                result.AddError("--tenant-column needs a column name.");
            }
        });

        var command = new Command("audit", "Inspect a live database for tenant-isolation problems; exit 1 when any finding is an error.")
        {
            connection, appRole, tenantColumns, json, ignore,
        };
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, parseResult, async token =>
        {
            var columns = parseResult.GetValue(tenantColumns) is { Length: > 0 } given ? given : Auditor.DefaultTenantColumns;
            var report = await Auditor.RunAsync(
                parseResult.GetRequiredValue(connection),
                parseResult.GetValue(appRole),
                columns,
                (parseResult.GetValue(ignore) ?? []).ToHashSet(StringComparer.Ordinal),
                DateOnly.FromDateTime(DateTime.UtcNow),
                token).ConfigureAwait(false);
            if (parseResult.GetValue(json))
            {
                await context.Output.WriteLineAsync(report.ToJson()).ConfigureAwait(false);
            }
            else
            {
                AuditRenderer.Write(context, report);
            }

            return report.ExitCode;
        }, cancellationToken));
        return command;
    }
}
