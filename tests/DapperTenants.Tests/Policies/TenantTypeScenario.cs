namespace DapperTenants.Tests.Policies;

/// <summary>One supported tenant property type, its table, and two tenants of that type.</summary>
public sealed record TenantTypeScenario(string Name, Type Model, string Table, string Column, string SqlType, string TenantA, string TenantB)
{
    public static readonly TenantTypeScenario Text = new("string", typeof(TextOrder), "orders_text", "tenant", "text", "acme", "globex");

    public static readonly TenantTypeScenario Uuid = new("Guid", typeof(GuidOrder), "orders_uuid", "tenant_id", "uuid",
        "2f1c1d9e-6f0a-4c55-9a43-0d6c8e1b7a01", "b7e0a3f4-1c2d-4e5f-8a9b-0c1d2e3f4a5b");

    public static readonly TenantTypeScenario Int32Column = new("int", typeof(IntOrder), "orders_int", "tenant", "integer", "1", "2");

    public static readonly TenantTypeScenario BigInt = new("long", typeof(LongOrder), "orders_bigint", "tenant_id", "bigint", "10000000001", "10000000002");

    public static readonly TenantTypeScenario SmallInt = new("short", typeof(ShortOrder), "orders_smallint", "tenant", "smallint", "7", "32767");

    /// <summary>Every tenant property type the installer supports: string, Guid, int, long and short.</summary>
    public static readonly TenantTypeScenario[] All = [Text, Uuid, Int32Column, BigInt, SmallInt];

    public string CreateTable => $"CREATE TABLE {Table} (id integer PRIMARY KEY, {Column} {SqlType} NOT NULL, note text); CREATE INDEX ON {Table} ({Column});";

    /// <summary>Rows 1 and 2 belong to tenant A, rows 3 and 4 to tenant B.</summary>
    public string Seed => $"""
        DELETE FROM {Table};
        INSERT INTO {Table} (id, {Column}, note) VALUES
            (1, '{TenantA}', 'a1'), (2, '{TenantA}', 'a2'), (3, '{TenantB}', 'b1'), (4, '{TenantB}', 'b2');
        """;

    public override string ToString() => Name;

    [Rls("orders_text")]
    public sealed class TextOrder
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = string.Empty;

        public string? Note { get; set; }
    }

    [Rls("orders_uuid")]
    public sealed class GuidOrder
    {
        public int Id { get; set; }

        public Guid TenantId { get; set; }

        public string? Note { get; set; }
    }

    [Rls("orders_int")]
    public sealed class IntOrder
    {
        public int Id { get; set; }

        public int Tenant { get; set; }

        public string? Note { get; set; }
    }

    [Rls("orders_bigint")]
    public sealed class LongOrder
    {
        public int Id { get; set; }

        public long TenantId { get; set; }

        public string? Note { get; set; }
    }

    [Rls("orders_smallint")]
    public sealed class ShortOrder
    {
        public int Id { get; set; }

        public short Tenant { get; set; }

        public string? Note { get; set; }
    }
}
