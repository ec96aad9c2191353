namespace DapperTenants.Policies;

/// <summary>The installer's expressions for one <see cref="ExpressionKey"/>, as the server prints them.</summary>
/// <param name="Own">The isolation policy's USING and WITH CHECK expression.</param>
/// <param name="Shared">The shared-rows policy's USING expression.</param>
/// <param name="Default">The tenant column's default.</param>
internal sealed record RenderedExpressions(string Own, string Shared, string Default);
