using DapperTenants.Catalog;

namespace DapperTenants.Audit;

/// <summary>The rule about where the policies take the tenant from: the raw setting, or the signed context's verifier.</summary>
internal static partial class AuditRules
{
    /// <summary>Tables listed by name in the one finding of a database without the signed context.</summary>
    private const int MaxListedTables = 10;

    // A permissive policy that reads current_setting lets whoever can set the setting choose the tenant: any SQL the
    // app login runs can. Where the signed context is installed, such a table is a hole in it (and shows a signed
    // application no rows): an error per table. Where it is not, one info finding says which tables would need it.
    private static void CheckSignedContext(AuditCatalog catalog, List<AuditFinding> findings)
    {
        var raw = catalog.Tables.Tables
            .Where(t => t.RowSecurity)
            .Select(t => (Table: t, Policies: t.Policies.Where(p => p.Permissive && p.ReadsRawSetting).ToList()))
            .Where(t => t.Policies.Count > 0)
            .OrderBy(t => t.Table.QuotedName, StringComparer.Ordinal)
            .ToList();
        if (raw.Count == 0)
        {
            return;
        }

        if (catalog.SignedContextInstalled)
        {
            foreach (var (table, policies) in raw)
            {
                var names = string.Join(", ", policies.Select(p => p.Quoted ?? p.Name));
                findings.Add(new(AuditCodes.RawTenantSetting, AuditSeverity.Error, table.QuotedName,
                    $"The policy {names} on {table.QuotedName} takes the tenant from the raw setting, although the signed context is installed.",
                    "Any SQL that runs as the app login can set the setting to another tenant and read or write that tenant's rows in this table; "
                    + "and an application that signs its tenant sees no rows here.",
                    "Apply the policies with the signed context: 'dapper-tenants apply --signing-key-file <key>' (PolicyInstaller.UseSignedContext)."));
            }

            return;
        }

        var listed = string.Join(", ", raw.Take(MaxListedTables).Select(t => t.Table.QuotedName))
            + (raw.Count > MaxListedTables ? $" and {raw.Count - MaxListedTables} more" : string.Empty);
        findings.Add(new(AuditCodes.RawTenantSetting, AuditSeverity.Info, catalog.Database,
            $"{(raw.Count == 1 ? "1 protected table takes" : $"{raw.Count} protected tables take")} the tenant from the raw setting: {listed}.",
            "A custom setting is only as strong as the least careful statement on the connection: injected SQL, a query_to_xml string or a DO block "
            + "running as the app login can set it to another tenant and read that tenant's rows.",
            "Install the signed context: 'dapper-tenants apply --signing-key-file <key>' (PolicyInstaller.UseSignedContext), and give the application "
            + "the same key in TenantOptions.SigningKey."));
    }
}
