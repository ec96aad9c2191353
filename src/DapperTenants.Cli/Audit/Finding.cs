namespace DapperTenants.Cli.Audit;

/// <summary>One problem the audit found.</summary>
/// <param name="Code">The stable code, such as <c>DT001</c> (see <see cref="FindingCodes"/>).</param>
/// <param name="Severity">How much it matters.</param>
/// <param name="Object">What it is about: a table, policy (<c>name ON table</c>), view, function, role or the server.</param>
/// <param name="Title">What is wrong, in one sentence.</param>
/// <param name="Why">Why it matters for tenant isolation.</param>
/// <param name="Fix">How to fix it, with SQL where there is one.</param>
internal sealed record Finding(string Code, Severity Severity, string Object, string Title, string Why, string Fix);
