namespace DapperTenants.Catalog;

/// <summary>What the installer's hardening reads: who may create temporary objects, create in the tables' schemas, and run the SQL-executing built-ins.</summary>
/// <param name="QuotedDatabase">The database as SQL writes it.</param>
/// <param name="OwnsDatabase">The installer's login is, or has the privileges of, the database's owner (who alone may change its grants).</param>
/// <param name="PublicTemporary">PUBLIC may create temporary objects in the database (PostgreSQL's default).</param>
/// <param name="RolesWithTemporary">Grantee roles that hold TEMPORARY on the database themselves.</param>
/// <param name="IsSuperuser">The installer's login is a superuser (who alone may change the built-ins' grants).</param>
/// <param name="PublicBuiltIns">The SQL-executing built-ins PUBLIC may execute, as <c>pg_catalog.name(types)</c>.</param>
/// <param name="Schemas">The tables' schemas.</param>
internal sealed record HardeningCatalog(
    string QuotedDatabase,
    bool OwnsDatabase,
    bool PublicTemporary,
    IReadOnlyList<string> RolesWithTemporary,
    bool IsSuperuser,
    IReadOnlyList<string> PublicBuiltIns,
    IReadOnlyList<HardeningCatalog.SchemaInfo> Schemas)
{
    /// <summary>A schema and who, besides its owner, may create in it.</summary>
    /// <param name="Name">The schema, unquoted.</param>
    /// <param name="Owned">The installer's login is, or has the privileges of, its owner.</param>
    /// <param name="PublicCreate">PUBLIC may CREATE in it.</param>
    /// <param name="RolesWithCreate">Grantee roles that hold CREATE on it themselves.</param>
    internal sealed record SchemaInfo(string Name, bool Owned, bool PublicCreate, IReadOnlyList<string> RolesWithCreate);
}
