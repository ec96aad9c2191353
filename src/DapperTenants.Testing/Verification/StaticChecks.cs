using DapperTenants.Catalog;
using DapperTenants.Policies;

namespace DapperTenants.Testing.Verification;

/// <summary>
/// What the catalog alone says about a table of the model, beyond the audit's findings: the tenant policy reads the
/// [Rls] column, fails closed, and the column's default stamps the tenant. Pure: no I/O.
/// </summary>
internal static class StaticChecks
{
    /// <summary>The audit's codes the verifier keeps: Row-Level Security on, forced and with a policy; no widening policy; the app login held to it.</summary>
    public static readonly IReadOnlySet<string> AuditCodesKept = new HashSet<string>(StringComparer.Ordinal)
    {
        AuditCodes.RlsDisabled, AuditCodes.RlsNotForced, AuditCodes.NoPolicy, AuditCodes.AlwaysTruePolicy, AuditCodes.PolicyIgnoresTenant,
        AuditCodes.AppRoleSuperuser, AuditCodes.AppRoleBypassesRls, AuditCodes.AppRoleOwnsTable, AuditCodes.AppRoleTruncate,
    };

    /// <summary>The audit's findings about <paramref name="table"/> that the verifier keeps (widening policies only when they reach the app login).</summary>
    public static IEnumerable<AuditFinding> AuditFindingsOf(ProtectedTable table, IEnumerable<AuditFinding> findings) => findings.Where(f =>
        AuditCodesKept.Contains(f.Code)
        && (f.Target == table.QuotedName || f.Target.EndsWith(" ON " + table.QuotedName, StringComparison.Ordinal))
        && !(f.Code is AuditCodes.AlwaysTruePolicy && f.Severity != AuditSeverity.Error));

    public static IEnumerable<AuditFinding> Check(TableModel model, ProtectedTable table, IReadOnlyCollection<AuditFinding> auditFindings, string settingName)
    {
        if (!string.Equals(table.TenantColumn, model.TenantColumn, StringComparison.Ordinal))
        {
            yield return VerifierFindings.PolicyOnOtherColumn(model, table);
        }
        else if (table.Shape is not (TenantPolicyShape.Setting or TenantPolicyShape.Signed)
            && !auditFindings.Any(f => f.Code == AuditCodes.NoPolicy))
        {
            yield return VerifierFindings.NoTenantPolicy(model, table, settingName);
        }

        var setting = $"current_setting('{settingName}'";
        foreach (var policy in table.Policies.Where(p => p.ReadsSetting(settingName) && !p.CallsVerifier))
        {
            if (new[] { policy.Using, policy.Check }.Any(e => e is not null && Count(e, setting) > Count(e, "NULLIF(" + setting)))
            {
                yield return VerifierFindings.NotFailClosed(table, policy, settingName);
            }
        }

        var defaultText = table.Column(model.TenantColumn)?.Default;
        if (defaultText is null || !(defaultText.Contains(setting, StringComparison.Ordinal) || defaultText.Contains(SignedContextNames.Verifier + "(", StringComparison.Ordinal)))
        {
            yield return VerifierFindings.DefaultMissing(model, table, settingName);
        }
    }

    private static int Count(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
