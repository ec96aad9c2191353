namespace DapperTenants.Catalog;

/// <summary>A row of <c>pg_policy</c> on a table of the catalog model, with what the readers need to judge it.</summary>
/// <param name="Oid">The policy's OID.</param>
/// <param name="Name">The policy name, unquoted.</param>
/// <param name="Permissive">PERMISSIVE (OR-ed) rather than RESTRICTIVE (AND-ed).</param>
/// <param name="Command"><c>polcmd</c>: <c>*</c> for ALL, else <c>r</c>, <c>a</c>, <c>w</c>, <c>d</c>.</param>
/// <param name="Roles">The roles it applies to, quoted as SQL writes them (<c>PUBLIC</c> for everyone), sorted.</param>
/// <param name="Using">The USING expression as <c>pg_get_expr</c> prints it, or <see langword="null"/>.</param>
/// <param name="Check">The WITH CHECK expression as <c>pg_get_expr</c> prints it, or <see langword="null"/>.</param>
/// <param name="Columns">The <c>attnum</c> of every column its expressions depend on.</param>
/// <param name="CallsVerifier">It depends on the signed context's verifier, <c>dapper_tenants.tenant_of(text)</c>.</param>
internal sealed record TablePolicy(
    uint Oid, string Name, bool Permissive, string Command, IReadOnlyList<string> Roles, string? Using, string? Check,
    IReadOnlyList<int> Columns, bool CallsVerifier)
{
    /// <summary>The name as <c>quote_ident</c> prints it, or <see langword="null"/> in a hand-made model.</summary>
    public string? Quoted { get; init; }

    /// <summary>It applies to PUBLIC (possibly among other roles).</summary>
    public bool ForPublic => Roles.Contains("PUBLIC");

    /// <summary>It applies to PUBLIC only.</summary>
    public bool ToPublicOnly => Roles is ["PUBLIC"];

    /// <summary>An expression calls <c>current_setting</c>: whoever can set that setting chooses what the policy admits.</summary>
    public bool ReadsRawSetting => Contains("current_setting(");

    /// <summary>USING or WITH CHECK is the constant <c>true</c>.</summary>
    public bool AlwaysTrue => Using == "true" || Check == "true";

    /// <summary>An expression names the tenant setting <paramref name="settingName"/> (as <c>current_setting</c>'s or the verifier's argument).</summary>
    public bool ReadsSetting(string settingName) => Contains("'" + settingName + "'");

    private bool Contains(string text) =>
        (Using?.Contains(text, StringComparison.Ordinal) ?? false) || (Check?.Contains(text, StringComparison.Ordinal) ?? false);
}
