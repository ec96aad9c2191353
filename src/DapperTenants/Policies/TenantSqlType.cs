namespace DapperTenants.Policies;

/// <summary>A supported tenant property type, the cast its policy applies to the setting, and the column types it agrees with.</summary>
internal sealed class TenantSqlType
{
    // Built-in type OIDs are fixed by PostgreSQL (pg_type.dat); matching on them ignores look-alike types in other schemas.
    public static readonly TenantSqlType Text = new(typeof(string), "string", "text", [(25, "text"), (1043, "character varying"), (1042, "character")]);
    public static readonly TenantSqlType Uuid = new(typeof(Guid), "Guid", "uuid", [(2950, "uuid")]);
    public static readonly TenantSqlType Integer = new(typeof(int), "int", "integer", [(23, "integer")]);
    public static readonly TenantSqlType BigInt = new(typeof(long), "long", "bigint", [(20, "bigint")]);
    public static readonly TenantSqlType SmallInt = new(typeof(short), "short", "smallint", [(21, "smallint")]);

    private static readonly TenantSqlType[] All = [Text, Uuid, Integer, BigInt, SmallInt];

    private readonly (uint Oid, string Name)[] _columnTypes;

    private TenantSqlType(Type clrType, string clrName, string cast, (uint Oid, string Name)[] columnTypes)
    {
        ClrType = clrType;
        ClrName = clrName;
        Cast = cast;
        _columnTypes = columnTypes;
    }

    public Type ClrType { get; }

    /// <summary>The C# name of the property type, for messages.</summary>
    public string ClrName { get; }

    /// <summary>The SQL type the policy and the default cast the setting to.</summary>
    public string Cast { get; }

    /// <summary>The column types this property type agrees with, for messages: <c>text, character varying or character</c>.</summary>
    public string AcceptedColumnTypes => _columnTypes.Length == 1
        ? _columnTypes[0].Name
        : string.Join(", ", _columnTypes[..^1].Select(t => t.Name)) + " or " + _columnTypes[^1].Name;

    /// <summary>The type for a property, or <see langword="null"/> when the property type is not supported.</summary>
    public static TenantSqlType? For(Type propertyType)
    {
        var type = Nullable.GetUnderlyingType(propertyType) ?? propertyType;
        return Array.Find(All, t => t.ClrType == type);
    }

    public bool Accepts(uint columnTypeOid) => Array.Exists(_columnTypes, t => t.Oid == columnTypeOid);

    /// <summary>
    /// Whether PostgreSQL compares a column of this type through a cast to <see cref="Cast"/> (a <c>varchar</c> or
    /// <c>char</c> column against the <c>text</c> setting), which it then prints in the stored expression.
    /// </summary>
    public bool ComparesThroughCast(uint columnTypeOid) => columnTypeOid != _columnTypes[0].Oid;
}
