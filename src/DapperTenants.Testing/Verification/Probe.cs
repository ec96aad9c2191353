using Npgsql;

namespace DapperTenants.Testing.Verification;

/// <summary>A statement with positional parameters, each bound as text and cast in the statement.</summary>
internal sealed record Statement(string Sql, IReadOnlyList<string?> Args);

/// <summary>One statement of a probe, as <paramref name="Tenant"/> (<see langword="null"/>: no tenant set).</summary>
internal sealed record ProbeStep(string? Tenant, Statement Statement, bool Query);

/// <summary>
/// Statements run in one savepoint that is rolled back afterwards, stopping at the first error, and the judgement of
/// their outcomes: a finding, or <see langword="null"/> when isolation held.
/// </summary>
internal sealed record Probe(IReadOnlyList<ProbeStep> Steps, Func<IReadOnlyList<Outcome>, AuditFinding?> Judge);

/// <summary>What a statement did: the count it returned or the rows it affected, or the error it raised.</summary>
internal readonly record struct Outcome(long Value, PostgresException? Error);
