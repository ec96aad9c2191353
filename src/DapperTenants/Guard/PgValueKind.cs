namespace DapperTenants.Guard;

/// <summary>What a <see cref="PgValue"/> holds.</summary>
internal enum PgValueKind : byte
{
    /// <summary>Nothing the guard can compare: an unsupported type, or a value the database would reject.</summary>
    Invalid,

    /// <summary>A string constant with no type yet.</summary>
    Literal,

    Text,
    Integer,
    Uuid,
}
