namespace DapperTenants.Guard;

/// <summary>What the guard's analysis depends on besides the text and the catalog: the setting it protects and what it may let through.</summary>
/// <param name="Setting">The tenant setting (<see cref="TenantOptions.SettingName"/>).</param>
/// <param name="AllowDynamicSql">Whether DO blocks, code-creating DDL and SQL-executing built-ins pass (<see cref="TenantOptions.AllowDynamicSql"/>).</param>
/// <param name="AllowExplainAnalyze">Whether <c>EXPLAIN ANALYZE</c> passes (<see cref="TenantOptions.AllowExplainAnalyze"/>).</param>
internal sealed record GuardOptions(string Setting, bool AllowDynamicSql = false, bool AllowExplainAnalyze = false)
{
    public static GuardOptions From(TenantOptions options) => new(options.SettingName, options.AllowDynamicSql, options.AllowExplainAnalyze);
}
