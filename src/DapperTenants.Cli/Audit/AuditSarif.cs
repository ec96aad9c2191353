using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DapperTenants.Cli.Audit;

/// <summary>The audit as a SARIF 2.1.0 log, for code-scanning dashboards: one rule per code, one result per finding.</summary>
internal static class AuditSarif
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Write(AuditRun run)
    {
        var version = typeof(AuditSarif).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var rules = new JsonArray();
        foreach (var (code, description) in AuditCodes.Descriptions)
        {
            rules.Add(new JsonObject
            {
                ["id"] = code,
                ["shortDescription"] = new JsonObject { ["text"] = description },
            });
        }

        var results = new JsonArray();
        foreach (var finding in run.Findings)
        {
            results.Add(new JsonObject
            {
                ["ruleId"] = finding.Code,
                ["level"] = finding.Severity switch { AuditSeverity.Error => "error", AuditSeverity.Warning => "warning", _ => "note" },
                ["message"] = new JsonObject { ["text"] = $"{finding.Title} Why: {finding.Why} Fix: {finding.Fix}" },
                ["locations"] = new JsonArray(new JsonObject
                {
                    ["logicalLocations"] = new JsonArray(new JsonObject
                    {
                        ["fullyQualifiedName"] = run.Report.Database + "/" + finding.Object,
                        ["name"] = finding.Object,
                    }),
                }),
            });
        }

        var log = new JsonObject
        {
            ["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json",
            ["version"] = "2.1.0",
            ["runs"] = new JsonArray(new JsonObject
            {
                ["tool"] = new JsonObject
                {
                    ["driver"] = new JsonObject
                    {
                        ["name"] = CliApp.Name,
                        ["version"] = version,
                        ["informationUri"] = "https://github.com/dapper-tenants/dapper-tenants",
                        ["rules"] = rules,
                    },
                },
                ["results"] = results,
            }),
        };
        return log.ToJsonString(JsonOptions);
    }
}
