namespace DapperTenants;

/// <summary>One change of a <see cref="PolicyPlan"/>.</summary>
/// <param name="Target">The object the step changes, quoted as SQL writes it (<c>"public"."orders"</c>).</param>
/// <param name="Reason">Why the step is needed.</param>
/// <param name="Sql">The statements.</param>
public sealed record PolicyStep(string Target, string Reason, string Sql);
