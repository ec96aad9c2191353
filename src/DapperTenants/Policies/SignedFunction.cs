using DapperTenants.Catalog;

namespace DapperTenants.Policies;

/// <summary>One function of the signed context, as the installer creates it and compares it with <c>pg_proc</c>.</summary>
/// <param name="Name">The function name in the <see cref="SignedContextNames.Schema"/> schema.</param>
/// <param name="ArgumentTypes">The input argument types as <c>oidvectortypes</c> prints them: <c>text, text</c>.</param>
/// <param name="Body">The PL/pgSQL body, exactly as stored in <c>prosrc</c>.</param>
/// <param name="SecurityDefiner">Whether it runs with its owner's rights.</param>
/// <param name="Volatility"><c>provolatile</c>: <c>s</c> stable, <c>v</c> volatile.</param>
/// <param name="Parallel"><c>proparallel</c>: <c>r</c> restricted, <c>u</c> unsafe.</param>
/// <param name="GrantToApp">Whether the application's roles get <c>EXECUTE</c> (the verifier and the diagnostic); else only the owner runs it.</param>
/// <param name="Signature">The <c>CREATE FUNCTION</c> text from the name to the attributes, without <c>SET</c> and body.</param>
internal sealed record SignedFunction(
    string Name, string ArgumentTypes, string Body, bool SecurityDefiner, char Volatility, char Parallel, bool GrantToApp, string Signature)
{
    /// <summary>The function as SQL names it: <c>"dapper_tenants"."tenant_of"</c>.</summary>
    public string QualifiedName => Identifiers.Qualify(SignedContextNames.Schema, Name);

    /// <summary>The function with its argument types, for messages and targets: <c>"dapper_tenants"."tenant_of"(text)</c>.</summary>
    public string Display => QualifiedName + "(" + ArgumentTypes + ")";
}
