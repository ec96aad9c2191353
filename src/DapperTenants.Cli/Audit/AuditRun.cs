namespace DapperTenants.Cli.Audit;

/// <summary>The core's <see cref="AuditReport"/> as the CLI renders it: the findings by the names the reports print, and the exit code.</summary>
internal sealed class AuditRun
{
    public AuditRun(AuditReport report)
    {
        Report = report;
        Findings = [.. report.Findings.Select(f => new Finding(f))];
    }

    public AuditReport Report { get; }

    /// <summary>The findings, ordered by code then object.</summary>
    public IReadOnlyList<Finding> Findings { get; }

    public int Count(Severity severity) => Report.Count((AuditSeverity)severity);

    public int ExitCode => Report.HasErrors ? ExitCodes.Failure : ExitCodes.Success;

    /// <summary>One finding; <see cref="Object"/> is what the reports call its target.</summary>
    internal sealed class Finding(AuditFinding finding)
    {
        public string Code => finding.Code;

        public AuditSeverity Severity => finding.Severity;

        public string Object => finding.Target;

        public string Title => finding.Title;

        public string Why => finding.Why;

        public string Fix => finding.Fix;
    }
}
