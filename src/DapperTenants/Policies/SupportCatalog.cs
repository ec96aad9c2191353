namespace DapperTenants.Policies;

/// <summary>What the installer reads about the support role, the access log, its functions and the tables' support policies.</summary>
internal sealed record SupportCatalog(
    SupportCatalog.RoleInfo? Role,
    RegistryCatalog.SchemaInfo? Schema,
    bool RoleHasSchemaUsage,
    SupportCatalog.TableInfo? Table,
    IReadOnlyList<SupportCatalog.FunctionInfo> Functions,
    IReadOnlyList<SupportCatalog.ProtectedInfo> Tables,
    bool? RoleMayVerify)
{
    /// <summary>The write log (one row per logged statement of a write-allowed session), when it exists.</summary>
    public TableInfo? WritesTable { get; init; }

    /// <param name="Superuser">The role is a superuser (no policy applies to it).</param>
    /// <param name="BypassesRls">The role has BYPASSRLS.</param>
    internal sealed record RoleInfo(bool Superuser, bool BypassesRls);

    /// <param name="Owner">The owner role.</param>
    /// <param name="OwnedByInstaller">The installer's login is, or has the privileges of, the owner.</param>
    /// <param name="MissingColumns">The model's columns it lacks or holds with another type.</param>
    /// <param name="Grantees">Roles other than the owner (or PUBLIC) holding any privilege on it or its columns.</param>
    internal sealed record TableInfo(string Owner, bool OwnedByInstaller, IReadOnlyList<string> MissingColumns, IReadOnlyList<string> Grantees);

    /// <param name="Signature">The function's signature as the installer writes it.</param>
    /// <param name="Exists">Whether it exists.</param>
    /// <param name="Owner">Its owner, when it exists.</param>
    /// <param name="OwnedByInstaller">The installer's login is, or has the privileges of, the owner.</param>
    /// <param name="Source">Its body (<c>prosrc</c>).</param>
    /// <param name="SafeDefinition">SECURITY DEFINER with the safe search_path.</param>
    /// <param name="Executors">Roles other than the owner (or PUBLIC) that may execute it.</param>
    /// <param name="RoleMayExecute">The support role holds a direct EXECUTE grant.</param>
    internal sealed record FunctionInfo(
        string Signature, bool Exists, string? Owner, bool OwnedByInstaller, string? Source, bool SafeDefinition, IReadOnlyList<string> Executors, bool RoleMayExecute);

    /// <param name="Relation">The table as SQL names it.</param>
    /// <param name="Exists">Whether it exists.</param>
    /// <param name="RoleHasPrivileges">The support role holds SELECT, INSERT, UPDATE and DELETE on it.</param>
    /// <param name="RoleHasSchemaUsage">The support role holds USAGE on its schema.</param>
    /// <param name="Markers">The comment of each support policy, in <see cref="SupportSql.PolicyNames"/> order; null when missing or for other roles.</param>
    internal sealed record ProtectedInfo(string Relation, bool Exists, bool RoleHasPrivileges, bool RoleHasSchemaUsage, IReadOnlyList<string?> Markers);
}
