using DapperTenants.Catalog;

namespace DapperTenants.Audit;

/// <summary>
/// The rules about what the policies of a tenant table admit, judged by meaning: each USING and WITH CHECK is parsed
/// and combined per command as PostgreSQL combines them (permissive policies OR-ed, restrictive ones AND-ed with them).
/// </summary>
internal static partial class AuditRules
{
    /// <summary>The commands and which expression of a policy decides each: USING for the rows read, WITH CHECK for the rows written.</summary>
    private static readonly (string Command, string Label, bool Write)[] Sides =
    [
        ("r", "SELECT", false), ("w", "UPDATE", false), ("d", "DELETE", false), ("a", "INSERT", true), ("w", "UPDATE", true),
    ];

    private static void CheckPolicies(AuditCatalog catalog, List<AuditFinding> findings)
    {
        foreach (var table in catalog.Tables.Tables.Where(t => t.RowSecurity && t.Policies.Count > 0))
        {
            if (!table.Policies.Any(p => p.Permissive))
            {
                findings.Add(OnlyRestrictive(table));
                continue;
            }

            var judge = new PolicyJudge(table);
            var verdicts = new Dictionary<string, PolicyVerdict>(StringComparer.Ordinal);
            PolicyVerdict Judge(string text) => verdicts.TryGetValue(text, out var v) ? v : verdicts[text] = judge.Judge(text);

            var audience = table.Policies.Where(p => ReachesApp(p, catalog)).ToList();
            var blamed = new List<(TablePolicy Policy, PolicyVerdict Verdict, string Side)>();
            foreach (var (command, label, write) in Sides)
            {
                var applying = audience.Where(p => p.Command == "*" || p.Command == command).ToList();
                var restrictive = applying.Where(p => !p.Permissive).Select(p => Expression(p, write)).OfType<string>().Select(Judge).ToList();
                var permissive = applying.Where(p => p.Permissive).Select(p => (Policy: p, Text: Expression(p, write))).Where(p => p.Text is not null).ToList();
                var shared = command == "r";
                var combined = PolicyVerdict.All([PolicyVerdict.Any([.. permissive.Select(p => Judge(p.Text!))]), .. restrictive]);
                if (permissive.Count == 0 || combined.IsSafe(shared))
                {
                    continue;
                }

                foreach (var (policy, text) in permissive)
                {
                    var own = PolicyVerdict.All([Judge(text!), .. restrictive]);
                    if (!own.IsSafe(shared))
                    {
                        blamed.Add((policy, own, $"{label} ({(write ? "WITH CHECK" : "USING")})"));
                    }
                }
            }

            foreach (var group in blamed.GroupBy(b => (b.Policy.Oid, Code(b.Verdict.Kind))))
            {
                var (policy, verdict, _) = group.First();
                findings.Add(PolicyFinding(catalog, table, policy, verdict, [.. group.Select(g => g.Side).Distinct()]));
            }

            foreach (var policy in table.Policies.Where(p => p.Permissive && p.AlwaysTrue && !ReachesApp(p, catalog)))
            {
                // A "see every tenant" policy limited to other roles may be deliberate: a warning, unless restrictive
                // policies for everyone narrow it to the tenant anyway.
                var narrowed = table.Policies.Where(p => !p.Permissive && p.ForPublic && (p.Command == "*" || p.Command == policy.Command))
                    .Select(p => p.Using).OfType<string>().Select(Judge).Any(v => v.Kind == PolicyVerdictKind.Isolates);
                if (!narrowed)
                {
                    findings.Add(AlwaysTrue(table, policy, AuditSeverity.Warning));
                }
            }
        }
    }

    /// <summary>The policy applies to the app role: through PUBLIC, or a role whose privileges it has (PUBLIC only when no app role was given).</summary>
    private static bool ReachesApp(TablePolicy policy, AuditCatalog catalog) =>
        policy.ForPublic || (catalog.AppRole is { Exists: true } app && app.PoliciesApplying.Contains(policy.Oid));

    /// <summary>The expression PostgreSQL applies for reads (USING) or writes (WITH CHECK, else USING for ALL and UPDATE policies).</summary>
    private static string? Expression(TablePolicy policy, bool write) => write
        ? policy.Check ?? (policy.Command is "*" or "w" ? policy.Using : null)
        : policy.Using;

    private static string Code(PolicyVerdictKind kind) => kind switch
    {
        PolicyVerdictKind.AlwaysTrue => AuditCodes.AlwaysTruePolicy,
        PolicyVerdictKind.IgnoresTenant => AuditCodes.PolicyIgnoresTenant,
        PolicyVerdictKind.EmptySettingIsATenant => AuditCodes.PolicyEmptySettingIsATenant,
        PolicyVerdictKind.Unproven => AuditCodes.PolicyUnproven,
        _ => AuditCodes.PolicyFailsOpen,
    };

    private static AuditFinding PolicyFinding(AuditCatalog catalog, ProtectedTable table, TablePolicy policy, PolicyVerdict verdict, IReadOnlyList<string> sides)
    {
        var name = policy.Quoted ?? policy.Name;
        var target = $"{name} ON {table.QuotedName}";
        var column = Column(table);
        var who = policy.ForPublic ? "PUBLIC" : "the app role";
        var where = string.Join(", ", sides);
        switch (verdict.Kind)
        {
            case PolicyVerdictKind.AlwaysTrue:
                return AlwaysTrue(table, policy, AuditSeverity.Error);
            case PolicyVerdictKind.IgnoresTenant:
                return new(AuditCodes.PolicyIgnoresTenant, AuditSeverity.Error, target,
                    $"The permissive policy {name} on {table.QuotedName} applies to {who} and never reads {column} for {where}: it admits ({verdict.Shape}).",
                    "Permissive policies are OR-ed together: every row this policy admits is visible (or writable) to every tenant.",
                    $"Compare {column} with the tenant setting in its USING and WITH CHECK, make it AS RESTRICTIVE, or limit it TO a role that must see every tenant.");
            case PolicyVerdictKind.EmptySettingIsATenant:
                var emptyDefault = table.Tenant?.Default is { } d && d.StartsWith("''", StringComparison.Ordinal);
                return new(AuditCodes.PolicyEmptySettingIsATenant, emptyDefault ? AuditSeverity.Error : AuditSeverity.Warning, target,
                    $"The policy {name} on {table.QuotedName} compares {column} with the raw setting, without NULLIF, for {where}: {verdict.Shape}.",
                    "After a transaction that set it, an unset setting reads as '' rather than NULL: a connection without a tenant then sees and writes the rows whose tenant is '' as if '' were its tenant"
                    + (emptyDefault ? $", and {column} defaults to '', so every row inserted without a tenant lands there." : "."),
                    $"Wrap the setting: {column} = (SELECT NULLIF(current_setting('<setting>', true), '')) in USING and WITH CHECK ('dapper-tenants apply' writes that policy).");
            case PolicyVerdictKind.Unproven:
                return new(AuditCodes.PolicyUnproven, AuditSeverity.Warning, target,
                    $"The policy {name} on {table.QuotedName} does not provably isolate tenants for {where}: {verdict.Shape}.",
                    "The audit accepts only an equality between the tenant column and a tenant that fails closed (NULLIF(current_setting(name, true), ''), or the signed context's verifier); "
                    + "what it cannot prove may admit other tenants' rows, or every row when the setting is unset or empty.",
                    $"Compare {column} with (SELECT NULLIF(current_setting('<setting>', true), '')) directly, or check by hand that the expression admits no row with the setting unset, empty, or another tenant's, then --ignore {AuditCodes.PolicyUnproven}.");
            default:
                return new(AuditCodes.PolicyFailsOpen, AuditSeverity.Error, target,
                    $"The policy {name} on {table.QuotedName} names {column} but admits other tenants' rows for {where}: {verdict.Shape}.",
                    "Permissive policies are OR-ed together: what this policy admits, every tenant on the app login sees or writes, whatever the tenant policy says.",
                    $"Make it {column} = (SELECT NULLIF(current_setting('<setting>', true), '')) in USING and WITH CHECK, with nothing OR-ed to it; 'dapper-tenants apply' writes that policy.");
        }
    }

    private static AuditFinding AlwaysTrue(ProtectedTable table, TablePolicy policy, AuditSeverity severity)
    {
        var name = policy.Quoted ?? policy.Name;
        var clause = policy.Using == "true" ? "USING (true)" : "WITH CHECK (true)";
        return new(AuditCodes.AlwaysTruePolicy, severity, $"{name} ON {table.QuotedName}",
            $"The permissive policy {name} on {table.QuotedName} has {clause} for {string.Join(", ", policy.Roles)}.",
            "Permissive policies are OR-ed together: one that is always true lets its roles read (USING) or write (WITH CHECK) every tenant's rows, whatever the tenant policy says.",
            $"DROP POLICY {name} ON {table.QuotedName}; or make it AS RESTRICTIVE, or grant it only to a role that must see every tenant.");
    }

    private static AuditFinding OnlyRestrictive(ProtectedTable table) => new(
        AuditCodes.OnlyRestrictivePolicies, AuditSeverity.Warning, table.QuotedName,
        $"Every policy on {table.QuotedName} is RESTRICTIVE ({string.Join(", ", table.Policies.Select(p => p.Quoted ?? p.Name))}).",
        "Restrictive policies only narrow what a permissive policy admits; with no permissive policy PostgreSQL admits no row. It fails closed, but the application cannot work.",
        $"Add the permissive tenant policy ('dapper-tenants apply'), or CREATE POLICY … AS PERMISSIVE on {table.QuotedName} comparing {Column(table)} with the tenant setting.");
}
