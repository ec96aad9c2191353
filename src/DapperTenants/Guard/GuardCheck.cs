namespace DapperTenants.Guard;

/// <summary>One verdict of a plan, decided when a command executes (from its parameters and the connection's context).</summary>
internal abstract class GuardCheck
{
    /// <summary>Whether the check refuses every execution: nothing after it in a plan can matter.</summary>
    public virtual bool AlwaysRefuses => false;

    /// <summary>Returns the exception to throw, or <see langword="null"/> when the command passes; allocates nothing when it passes.</summary>
    public abstract TenantGuardException? Evaluate(ref GuardEvaluation evaluation);
}
