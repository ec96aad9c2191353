namespace DapperTenants.Policies;

/// <summary>What the installer reads about the signed context's schema, key table, functions and keys.</summary>
/// <param name="Schema">The schema, or <see langword="null"/> when it does not exist.</param>
/// <param name="KeyTable">The key table, or <see langword="null"/> when it does not exist.</param>
/// <param name="Functions">One entry per <see cref="SignedContextSql.Functions"/>, in that order.</param>
/// <param name="Keys">The installed key ids, with whether each matches the key given for it.</param>
/// <param name="RolesWithoutSchemaUsage">Existing grantee roles without <c>USAGE</c> on the schema (all of them when it is missing).</param>
internal sealed record SignedContextCatalog(
    SignedContextCatalog.SchemaInfo? Schema,
    SignedContextCatalog.TableInfo? KeyTable,
    IReadOnlyList<SignedContextCatalog.FunctionInfo> Functions,
    IReadOnlyList<SignedContextCatalog.KeyInfo> Keys,
    IReadOnlyList<string> RolesWithoutSchemaUsage)
{
    /// <summary>Whether the verifier exists, so that the server can print expressions that call it.</summary>
    public bool VerifierExists => Functions.Count > 0 && Functions[0].Exists;

    /// <param name="Owner">The owner role.</param>
    /// <param name="OwnedByInstaller">The installer's login is, or has the privileges of, the owner.</param>
    /// <param name="Creators">Roles other than the owner (or PUBLIC) that may CREATE in it.</param>
    internal sealed record SchemaInfo(string Owner, bool OwnedByInstaller, IReadOnlyList<string> Creators);

    /// <param name="Owner">The owner role.</param>
    /// <param name="OwnedByInstaller">The installer's login is, or has the privileges of, the owner.</param>
    /// <param name="RowSecurity">RLS enabled (without a policy: a stray grant still reads nothing).</param>
    /// <param name="Grantees">Roles other than the owner (or PUBLIC) holding any privilege on it or its columns.</param>
    /// <param name="PadStatisticsOff">Both pad columns have <c>SET STATISTICS 0</c>.</param>
    internal sealed record TableInfo(string Owner, bool OwnedByInstaller, bool RowSecurity, IReadOnlyList<string> Grantees, bool PadStatisticsOff);

    /// <param name="Exists">A function of that name and argument types exists in the schema.</param>
    /// <param name="Matches">Body, security, volatility, parallel safety and search_path are the model's.</param>
    /// <param name="Owner">The owner role.</param>
    /// <param name="OwnedByInstaller">The installer's login is, or has the privileges of, the owner.</param>
    /// <param name="PublicExecute">PUBLIC may execute it (the default for a new function).</param>
    /// <param name="RolesWithoutExecute">Existing grantee roles without a direct EXECUTE grant.</param>
    /// <param name="OthersExecute">A role other than the owner and PUBLIC may execute it.</param>
    internal sealed record FunctionInfo(
        bool Exists, bool Matches, string? Owner, bool OwnedByInstaller, bool PublicExecute, IReadOnlyList<string> RolesWithoutExecute, bool OthersExecute);

    /// <param name="KeyId">The installed key id.</param>
    /// <param name="Given">It was given to <see cref="PolicyInstaller.UseSignedContext"/>.</param>
    /// <param name="Matches">Its pads are those of the given key.</param>
    internal sealed record KeyInfo(string KeyId, bool Given, bool Matches);
}
