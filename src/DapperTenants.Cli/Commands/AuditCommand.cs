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
        var json = new Option<bool>("--json") { Description = "Write the report as JSON (schemaVersion 1) instead of text; the same as --format json." };
        var format = new Option<string>("--format")
        {
            Description = "The report's form: text (the default), markdown, json (schemaVersion 1) or sarif (SARIF 2.1.0, for code scanning).",
            DefaultValueFactory = _ => "text",
        };
        format.AcceptOnlyFromAmong("text", "markdown", "json", "sarif");
        var appConnection = new Option<string?>("--app-connection")
        {
            Description = "The application's connection string: its pool is checked for sessions kept between leases (No Reset On Close, Multiplexing), "
                + "and its user is the app role when --app-role is not given. Only its keywords are read; the audit never connects with it.",
        };
        var ignore = new Option<string[]>("--ignore")
        {
            Description = "Finding codes to leave out, such as DT020 or DT060,DT061 (repeatable).",
            CustomParser = result => [.. result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Select(c => c.ToUpperInvariant())],
        };
        ignore.Validators.Add(result =>
        {
            var unknown = (result.GetValueOrDefault<string[]>() ?? []).Where(c => !AuditCodes.Descriptions.ContainsKey(c)).ToList();
            if (unknown.Count > 0)
            {
                result.AddError($"--ignore: unknown finding code(s) {string.Join(", ", unknown)}. Known codes: {string.Join(", ", AuditCodes.Descriptions.Keys)}.");
            }
        });
        tenantColumns.Validators.Add(result =>
        {
            if ((result.GetValueOrDefault<string[]>() ?? []).Any(string.IsNullOrWhiteSpace))
            {
                result.AddError("--tenant-column needs a column name.");
            }
        });

        var command = new Command("audit", "Inspect a live database for tenant-isolation problems; exit 1 when any finding is an error, 3 when the audit could not finish.")
        {
            connection, appRole, appConnection, tenantColumns, json, format, ignore,
        };
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, parseResult, async token =>
        {
            var columns = parseResult.GetValue(tenantColumns) is { Length: > 0 } given ? given : Auditor.DefaultTenantColumns;
            var form = parseResult.GetValue(json) ? "json" : parseResult.GetValue(format);
            AuditRun run;
            var progress = new AuditProgress(context.Error, AuditProgress.Shows(context, form));
            try
            {
                run = await Auditor.RunAsync(
                    parseResult.GetRequiredValue(connection),
                    new TenantAuditOptions
                    {
                        AppRole = parseResult.GetValue(appRole),
                        AppConnectionString = parseResult.GetValue(appConnection),
                        TenantColumns = columns,
                        IgnoredCodes = (parseResult.GetValue(ignore) ?? []).ToHashSet(StringComparer.Ordinal),
                        Progress = progress.Enabled ? progress : null,
                    },
                    token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                progress.Dispose();
                return await FailAsync(context, parseResult, form, ex).ConfigureAwait(false);
            }

            progress.Dispose();

            switch (form)
            {
                case "json":
                    await context.Output.WriteLineAsync(AuditJson.Write(run)).ConfigureAwait(false);
                    break;
                case "sarif":
                    await context.Output.WriteLineAsync(AuditSarif.Write(run)).ConfigureAwait(false);
                    break;
                case "markdown":
                    AuditRenderer.WriteMarkdown(context.Output, run);
                    break;
                default:
                    AuditRenderer.Write(context, run);
                    break;
            }

            return run.ExitCode;
        }, cancellationToken));
        return command;
    }

    /// <summary>
    /// An audit that could not finish: what failed and how to fix it on standard error, the JSON error object on standard
    /// output for <c>--json</c> (never nothing), and <see cref="ExitCodes.AuditFailed"/>, so a script tells it from findings.
    /// </summary>
    private static async Task<int> FailAsync(CliContext context, ParseResult parseResult, string? form, Exception exception)
    {
        var failure = AuditFailure.From(exception);
        await context.Error.WriteLineAsync($"error: the audit could not finish ({failure.Kind}): {failure.Message}").ConfigureAwait(false);
        await context.Error.WriteLineAsync($"Fix: {failure.Fix}").ConfigureAwait(false);
        if (parseResult.GetValue<bool>(CliOptions.VerboseName) && failure.Kind != "cancelled")
        {
            await context.Error.WriteLineAsync(exception.ToString()).ConfigureAwait(false);
        }

        if (form == "json")
        {
            await context.Output.WriteLineAsync(failure.ToJson()).ConfigureAwait(false);
        }

        return ExitCodes.AuditFailed;
    }
}
