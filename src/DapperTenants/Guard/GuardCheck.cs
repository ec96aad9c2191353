using Npgsql;

namespace DapperTenants.Guard;

/// <summary>One verdict of a plan, decided when a command executes (from its tenant and parameter values).</summary>
internal abstract class GuardCheck
{
    /// <summary>Returns the exception to throw, or <see langword="null"/> when the command passes; allocates nothing when it passes.</summary>
    public abstract TenantGuardException? Evaluate(NpgsqlParameterCollection parameters, string tenant);
}
