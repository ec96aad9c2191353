using System.Text;

namespace DapperTenants.Testing;

/// <summary>
/// The result of <see cref="TenantSchemaVerifier"/>: a verdict per table and every finding, with codes shared with
/// <see cref="TenantAudit"/> and <c>dapper-tenants audit</c> (<see cref="AuditCodes"/>).
/// </summary>
public sealed class SchemaVerificationReport
{
    internal SchemaVerificationReport(string appLogin, IReadOnlyList<AuditFinding> loginFindings, IReadOnlyList<TableVerification> tables)
    {
        AppLogin = appLogin;
        Tables = tables;
        Findings = [.. loginFindings.Concat(tables.SelectMany(t => t.Findings))];
    }

    /// <summary>The login the probes ran as: the app data source's user.</summary>
    public string AppLogin { get; }

    /// <summary>One entry per table the [Rls] types map, in the order of the types.</summary>
    public IReadOnlyList<TableVerification> Tables { get; }

    /// <summary>Every finding: those about the app login first, then each table's, ordered by code.</summary>
    public IReadOnlyList<AuditFinding> Findings { get; }

    /// <summary>
    /// Whether every table is <see cref="TableVerificationStatus.Verified"/> and nothing was found about the login. A
    /// table the verifier could not seed fails this too: unproven is never passed.
    /// </summary>
    public bool Passed => Findings.Count == 0;

    /// <summary>A summary line, then one line per finding with its fix.</summary>
    /// <returns>The text <see cref="SchemaVerificationException"/> carries.</returns>
    public override string ToString()
    {
        var verified = Tables.Count(t => t.Status == TableVerificationStatus.Verified);
        var text = new StringBuilder();
        text.Append("Tenant schema verification as ").Append(AppLogin).Append(": ")
            .Append(verified).Append(" of ").Append(Tables.Count).Append(" table(s) verified, ")
            .Append(Findings.Count).Append(Findings.Count == 1 ? " finding." : " findings.");
        foreach (var finding in Findings)
        {
            text.Append('\n').Append("- ").Append(finding).Append('\n').Append("  Fix: ").Append(finding.Fix);
        }

        return text.ToString();
    }
}
