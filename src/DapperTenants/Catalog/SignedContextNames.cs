namespace DapperTenants.Catalog;

/// <summary>
/// The database objects of the signed tenant context and the token's version tag: what the installer creates
/// (<c>Policies/</c>) and what the request path mints for and checks (<c>Connections/</c>) must agree on these.
/// </summary>
internal static class SignedContextNames
{
    /// <summary>The schema that holds the key table and the functions, owned by the tables' owner.</summary>
    public const string Schema = "dapper_tenants";

    /// <summary>The key table: one row per key id with the HMAC's precomputed inner and outer pads. Never readable by the app login.</summary>
    public const string KeyTable = "signing_keys";

    /// <summary>The verifier: <c>tenant_of(setting text) returns text</c>, the tenant of a valid token in the setting, else NULL.</summary>
    public const string Verifier = "tenant_of";

    /// <summary>The diagnostic: <c>token_status(setting text, token text)</c>, why a token does or does not verify.</summary>
    public const string Diagnostic = "token_status";

    /// <summary>The owner's helper that stores a key under an id (derives the pads on the server).</summary>
    public const string KeyInstaller = "install_signing_key";

    /// <summary>The first field of every token; a new format gets a new tag.</summary>
    public const string TokenVersion = "v1";

    /// <summary>The longest token the verifier reads; longer ones are refused before any other work.</summary>
    public const int MaxTokenLength = 8400;

    /// <summary>The most UTF-8 bytes a signed tenant may have, so that its token stays under <see cref="MaxTokenLength"/>.</summary>
    public const int MaxTenantBytes = 4096;

    /// <summary>The verifier as SQL names it: <c>"dapper_tenants"."tenant_of"</c>.</summary>
    public const string QualifiedVerifier = "\"" + Schema + "\".\"" + Verifier + "\"";

    /// <summary>The diagnostic as SQL names it.</summary>
    public const string QualifiedDiagnostic = "\"" + Schema + "\".\"" + Diagnostic + "\"";

    /// <summary>The key table as SQL names it.</summary>
    public const string QualifiedKeyTable = "\"" + Schema + "\".\"" + KeyTable + "\"";

    /// <summary>The helper that installs a key, as SQL names it.</summary>
    public const string QualifiedKeyInstaller = "\"" + Schema + "\".\"" + KeyInstaller + "\"";
}
