namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// Marks a benchmark class that needs no PostgreSQL: when the command line selects only such classes,
/// <see cref="Program"/> neither starts nor seeds a server.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class NoDatabaseAttribute : Attribute
{
}
