namespace DapperTenants.Policies;

/// <summary>What the installer reads about the tenant registry's schema, table and function.</summary>
/// <param name="Schema">The schema, or <see langword="null"/> when it does not exist.</param>
/// <param name="Table">The registry table, or <see langword="null"/> when it does not exist.</param>
/// <param name="Function">The function that registers a missing tenant, or <see langword="null"/> when it does not exist.</param>
/// <param name="RolesWithoutSchemaUsage">Existing grantee roles without <c>USAGE</c> on the schema (all of them when it is missing).</param>
internal sealed record RegistryCatalog(
    RegistryCatalog.SchemaInfo? Schema,
    RegistryCatalog.TableInfo? Table,
    RegistryCatalog.FunctionInfo? Function,
    IReadOnlyList<string> RolesWithoutSchemaUsage)
{
    /// <param name="Owner">The owner role.</param>
    /// <param name="OwnedByInstaller">The installer's login is, or has the privileges of, the owner.</param>
    internal sealed record SchemaInfo(string Owner, bool OwnedByInstaller);

    /// <param name="Owner">The owner role.</param>
    /// <param name="OwnedByInstaller">The installer's login is, or has the privileges of, the owner.</param>
    /// <param name="MissingColumns">The model's columns it lacks or holds with another type, as <c>name type</c>.</param>
    /// <param name="Writers">Roles other than the owner (or PUBLIC) holding a privilege other than SELECT on it or its columns.</param>
    /// <param name="RolesWithoutSelect">Existing grantee roles that may not read it.</param>
    /// <param name="StateCheckCurrent">Its check of the states admits every state of the model (an older registry lacks <c>purging</c>).</param>
    internal sealed record TableInfo(
        string Owner, bool OwnedByInstaller, IReadOnlyList<string> MissingColumns, IReadOnlyList<string> Writers, IReadOnlyList<string> RolesWithoutSelect,
        bool StateCheckCurrent = true);

    /// <param name="Owner">The owner role.</param>
    /// <param name="OwnedByInstaller">The installer's login is, or has the privileges of, the owner.</param>
    /// <param name="Matches">Body, SECURITY DEFINER and search_path are the model's.</param>
    /// <param name="Executors">Roles other than the owner (or PUBLIC) that may execute it, by a grant or the default ACL.</param>
    /// <param name="RolesWithoutExecute">Existing grantee roles without a direct EXECUTE grant.</param>
    internal sealed record FunctionInfo(
        string Owner, bool OwnedByInstaller, bool Matches, IReadOnlyList<string> Executors, IReadOnlyList<string> RolesWithoutExecute);
}
