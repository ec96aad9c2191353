namespace DapperTenants.Guard;

/// <summary>The input functions of <c>integer</c> types and <c>uuid</c>, as PostgreSQL 15 reads text.</summary>
/// <remarks>
/// Stricter than nothing and never looser than PostgreSQL: input PostgreSQL 16 accepts and 15 does not (underscores,
/// hexadecimal) fails here, which leaves the value to the database.
/// </remarks>
internal static class PgParse
{
    /// <summary><c>int2in</c>/<c>int4in</c>/<c>int8in</c>: optional whitespace, sign, digits, whitespace.</summary>
    public static bool TryInteger(ReadOnlySpan<char> text, PgType type, out long value)
    {
        value = 0;
        text = Trim(text);
        var negative = false;
        if (text.Length > 0 && text[0] is '+' or '-')
        {
            negative = text[0] == '-';
            text = text[1..];
        }

        if (text.IsEmpty)
        {
            return false;
        }

        ulong magnitude = 0;
        foreach (var c in text)
        {
            if (c is < '0' or > '9' || magnitude > (ulong.MaxValue - 9) / 10)
            {
                return false;
            }

            magnitude = (magnitude * 10) + (ulong)(c - '0');
        }

        if (magnitude > (negative ? 1UL << 63 : long.MaxValue))
        {
            return false;
        }

        value = negative ? (long)(0 - magnitude) : (long)magnitude;
        var (min, max) = type.Range;
        return value >= min && value <= max;
    }

    /// <summary><c>uuid_in</c>: 32 hex digits, a hyphen allowed after any group of four, optionally in braces.</summary>
    public static bool TryUuid(ReadOnlySpan<char> text, out Guid value)
    {
        value = default;
        var k = 0;
        var braces = text.Length > 0 && text[0] == '{';
        if (braces)
        {
            k++;
        }

        Span<char> hex = stackalloc char[32];
        for (var b = 0; b < 16; b++)
        {
            if (k + 1 >= text.Length || !char.IsAsciiHexDigit(text[k]) || !char.IsAsciiHexDigit(text[k + 1]))
            {
                return false;
            }

            hex[2 * b] = text[k];
            hex[(2 * b) + 1] = text[k + 1];
            k += 2;
            if (k < text.Length && text[k] == '-' && b % 2 == 1 && b < 15)
            {
                k++;
            }
        }

        if (braces)
        {
            if (k >= text.Length || text[k] != '}')
            {
                return false;
            }

            k++;
        }

        return k == text.Length && Guid.TryParseExact(hex, "N", out value);
    }

    private static ReadOnlySpan<char> Trim(ReadOnlySpan<char> text)
    {
        var start = 0;
        while (start < text.Length && SqlLexer.IsSpace(text[start]))
        {
            start++;
        }

        var end = text.Length;
        while (end > start && SqlLexer.IsSpace(text[end - 1]))
        {
            end--;
        }

        return text[start..end];
    }
}
