namespace DapperTenants.AspNetCore.Tests.Support;

/// <summary>Test categories: unit tests need nothing; database tests need a PostgreSQL server.</summary>
public static class Categories
{
    public const string Unit = "Unit";
    public const string Database = "Database";
}
