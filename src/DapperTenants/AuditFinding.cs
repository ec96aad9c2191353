namespace DapperTenants;

/// <summary>One problem a <see cref="TenantAudit"/> found, with why it matters and how to fix it.</summary>
public sealed class AuditFinding
{
    internal AuditFinding(string code, AuditSeverity severity, string target, string title, string why, string fix)
    {
        Code = code;
        Severity = severity;
        Target = target;
        Title = title;
        Why = why;
        Fix = fix;
    }

    /// <summary>The stable code, such as <c>DT001</c> (see <see cref="AuditCodes"/>): a code keeps its meaning forever.</summary>
    public string Code { get; }

    /// <summary>How much it matters.</summary>
    public AuditSeverity Severity { get; }

    /// <summary>What it is about: a table, a policy (<c>name ON table</c>), a view, a function, a role, the database or the server.</summary>
    public string Target { get; }

    /// <summary>What is wrong, in one sentence.</summary>
    public string Title { get; }

    /// <summary>Why it matters for tenant isolation.</summary>
    public string Why { get; }

    /// <summary>How to fix it, with SQL where there is one.</summary>
    public string Fix { get; }

    /// <summary>The code, severity, object and title.</summary>
    /// <returns><c>DT001 error public.orders: Row-Level Security is disabled …</c>.</returns>
    public override string ToString() => $"{Code} {AuditReport.SeverityName(Severity)} {Target}: {Title}";
}
