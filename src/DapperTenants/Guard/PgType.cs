namespace DapperTenants.Guard;

/// <summary>The families of SQL types whose values the guard compares; everything else is <see cref="Other"/>.</summary>
internal enum PgTypeFamily : byte
{
    Other,
    Text,
    Int16,
    Int32,
    Int64,
    Uuid,

    /// <summary><c>character(n)</c>: only as a cast target, whose trailing spaces vanish on the way to text.</summary>
    Bpchar,
}

/// <summary>A tenant column's type or a cast's target: its family and, for <c>character varying(n)</c>, its length.</summary>
internal readonly record struct PgType(PgTypeFamily Family, int MaxLength = -1)
{
    public static readonly PgType Other = new(PgTypeFamily.Other);

    public static readonly PgType Text = new(PgTypeFamily.Text);

    public bool IsInteger => Family is PgTypeFamily.Int16 or PgTypeFamily.Int32 or PgTypeFamily.Int64;

    /// <summary>Reads the type as <c>format_type</c> prints it in the catalog.</summary>
    /// <remarks>
    /// <c>character(n)</c>, <c>citext</c>, domains and enums compare by other rules (padding, case, operators), so their
    /// tables are left to the database.
    /// </remarks>
    public static PgType FromCatalog(string formatType)
    {
        switch (formatType)
        {
            case "text" or "character varying":
                return Text;
            case "smallint":
                return new PgType(PgTypeFamily.Int16);
            case "integer":
                return new PgType(PgTypeFamily.Int32);
            case "bigint":
                return new PgType(PgTypeFamily.Int64);
            case "uuid":
                return new PgType(PgTypeFamily.Uuid);
        }

        const string Varchar = "character varying(";
        if (formatType.StartsWith(Varchar, StringComparison.Ordinal) && formatType.EndsWith(')')
            && int.TryParse(formatType.AsSpan(Varchar.Length, formatType.Length - Varchar.Length - 1), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var length) && length > 0)
        {
            return new PgType(PgTypeFamily.Text, length);
        }

        return Other;
    }

    /// <summary>Maps a built-in type name (as written in a cast, already folded) to its family.</summary>
    public static PgType FromName(string name) => name switch
    {
        "text" or "varchar" => Text,
        "int2" or "smallint" => new PgType(PgTypeFamily.Int16),
        "int4" or "int" or "integer" => new PgType(PgTypeFamily.Int32),
        "int8" or "bigint" => new PgType(PgTypeFamily.Int64),
        "uuid" => new PgType(PgTypeFamily.Uuid),
        "bpchar" => new PgType(PgTypeFamily.Bpchar),
        _ => Other,
    };

    /// <summary>The smallest and largest value of an integer family.</summary>
    public (long Min, long Max) Range => Family switch
    {
        PgTypeFamily.Int16 => (short.MinValue, short.MaxValue),
        PgTypeFamily.Int32 => (int.MinValue, int.MaxValue),
        _ => (long.MinValue, long.MaxValue),
    };
}
