using System.Globalization;
using System.Text;

namespace DapperTenants.Guard;

/// <summary>Decodes string constants and Unicode identifiers the way PostgreSQL does, or says the database would reject them.</summary>
internal static class SqlLiterals
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The value of a string constant token, or <see langword="null"/> when PostgreSQL would reject it.</summary>
    public static string? DecodeString(SqlTokens tokens, int i)
    {
        var token = tokens[i];
        var sql = tokens.Sql;
        var value = token.Kind switch
        {
            SqlTokenKind.String => Segments(sql, token.Start, token.End, out _),
            SqlTokenKind.NationalString => Segments(sql, token.Start + 1, token.End, out _),
            SqlTokenKind.EscapeString => DecodeEscapeString(sql, token.Start + 1, token.End),
            SqlTokenKind.UnicodeString => DecodeUnicode(sql, token.Start + 2, token.End),
            SqlTokenKind.DollarString => Dollar(tokens.Text(i)),
            _ => null,
        };
        return value is null || value.Contains('\0', StringComparison.Ordinal) ? null : value;
    }

    public static string? DecodeUnicodeIdentifier(SqlTokens tokens, int i)
    {
        var token = tokens[i];
        var sql = tokens.Sql;
        var close = token.Start + 3;
        while (close < token.End && !(sql[close] == '"' && (close + 1 >= token.End || sql[close + 1] != '"')))
        {
            close += sql[close] == '"' ? 2 : 1;
        }

        var raw = sql.AsSpan(token.Start + 3, close - token.Start - 3).ToString().Replace("\"\"", "\"", StringComparison.Ordinal);
        var escape = ReadUescape(sql, close + 1, token.End);
        return escape is null || raw.Length == 0 ? null : Unescape(raw, escape.Value);
    }

    private static string Dollar(ReadOnlySpan<char> text)
    {
        var delimiter = text[1..].IndexOf('$') + 2;
        return text[delimiter..^delimiter].ToString();
    }

    /// <summary>Joins the quoted segments (continuation lines) from <paramref name="quote"/>, turning <c>''</c> into <c>'</c>.</summary>
    private static string Segments(string sql, int quote, int end, out int after)
    {
        var builder = new StringBuilder();
        var j = quote;
        while (true)
        {
            j++;
            while (j < end)
            {
                if (sql[j] == '\'')
                {
                    if (j + 1 < end && sql[j + 1] == '\'')
                    {
                        builder.Append('\'');
                        j += 2;
                        continue;
                    }

                    break;
                }

                builder.Append(sql[j]);
                j++;
            }

            j++;
            var next = SqlLexer.FindContinuation(sql, j);
            if (next < 0 || next >= end)
            {
                after = j;
                return builder.ToString();
            }

            j = next;
        }
    }

    private static string? DecodeUnicode(string sql, int quote, int end)
    {
        var raw = Segments(sql, quote, end, out var after);
        var escape = ReadUescape(sql, after, end);
        return escape is null ? null : Unescape(raw, escape.Value);
    }

    /// <summary>The escape character: <c>\</c>, or the one <c>UESCAPE 'c'</c> names; <see langword="null"/> when it is invalid.</summary>
    private static char? ReadUescape(string sql, int from, int end)
    {
        var k = SqlLexer.SkipSpaceAndComments(sql, from);
        if (k >= end)
        {
            return '\\';
        }

        k = SqlLexer.SkipSpaceAndComments(sql, k + "uescape".Length);
        var escape = Segments(sql, k, end, out _);
        if (escape.Length != 1)
        {
            return null;
        }

        var c = escape[0];
        return char.IsAsciiHexDigit(c) || c is '+' or '\'' or '"' || SqlLexer.IsSpace(c) ? null : c;
    }

    /// <summary>Applies <c>U&amp;</c> escapes: <c>\XXXX</c>, <c>\+XXXXXX</c> and <c>\\</c> (with the chosen escape character).</summary>
    private static string? Unescape(string raw, char escape)
    {
        var builder = new StringBuilder(raw.Length);
        var pendingHigh = -1;
        var k = 0;
        while (k < raw.Length)
        {
            var c = raw[k];
            if (c != escape)
            {
                if (pendingHigh >= 0)
                {
                    return null;
                }

                builder.Append(c);
                k++;
                continue;
            }

            int codePoint;
            if (k + 1 < raw.Length && raw[k + 1] == escape)
            {
                builder.Append(escape);
                k += 2;
                continue;
            }

            if (TryHex(raw.AsSpan(k + 1), 4, out codePoint))
            {
                k += 5;
            }
            else if (k + 1 < raw.Length && raw[k + 1] == '+' && TryHex(raw.AsSpan(k + 2), 6, out codePoint))
            {
                k += 8;
            }
            else
            {
                return null;
            }

            if (!AppendCodePoint(builder, codePoint, ref pendingHigh))
            {
                return null;
            }
        }

        return pendingHigh >= 0 ? null : builder.ToString();
    }

    private static string? DecodeEscapeString(string sql, int quote, int end)
    {
        var bytes = new List<byte>(end - quote);
        Span<byte> utf8 = stackalloc byte[4];
        var pendingHigh = -1;
        var j = quote;
        while (j < end)
        {
            j++;
            while (j < end && sql[j] != '\'')
            {
                if (sql[j] != '\\')
                {
                    if (pendingHigh >= 0)
                    {
                        return null;
                    }

                    var width = char.IsHighSurrogate(sql[j]) && j + 1 < end && char.IsLowSurrogate(sql[j + 1]) ? 2 : 1;
                    if (Rune.DecodeFromUtf16(sql.AsSpan(j, width), out var rune, out _) != System.Buffers.OperationStatus.Done)
                    {
                        return null;
                    }

                    AddRune(bytes, rune, utf8);
                    j += width;
                    continue;
                }

                j = Escape(sql, j + 1, end, bytes, utf8, ref pendingHigh);
                if (j < 0)
                {
                    return null;
                }
            }

            // A doubled quote inside the constant, or the end of a segment (maybe followed by a continuation).
            if (j + 1 < end && sql[j + 1] == '\'')
            {
                bytes.Add((byte)'\'');
                j++;
                continue;
            }

            j++;
            var next = SqlLexer.FindContinuation(sql, j);
            if (next < 0 || next >= end)
            {
                break;
            }

            j = next;
        }

        if (pendingHigh >= 0)
        {
            return null;
        }

        try
        {
            return StrictUtf8.GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>Decodes one backslash escape starting at <paramref name="j"/> (the character after the backslash).</summary>
    private static int Escape(string sql, int j, int end, List<byte> bytes, Span<byte> utf8, ref int pendingHigh)
    {
        if (j >= end)
        {
            return -1;
        }

        var d = sql[j];
        if (d is 'u' or 'U')
        {
            var digits = d == 'u' ? 4 : 8;
            if (!TryHex(sql.AsSpan(j + 1, Math.Min(digits, end - j - 1)), digits, out var codePoint))
            {
                return -1;
            }

            var builder = new StringBuilder(2);
            if (!AppendCodePoint(builder, codePoint, ref pendingHigh))
            {
                return -1;
            }

            if (builder.Length > 0)
            {
                AddRune(bytes, Rune.GetRuneAt(builder.ToString(), 0), utf8);
            }

            return j + 1 + digits;
        }

        if (pendingHigh >= 0)
        {
            return -1;
        }

        switch (d)
        {
            case 'b':
                bytes.Add(0x08);
                return j + 1;
            case 'f':
                bytes.Add(0x0C);
                return j + 1;
            case 'n':
                bytes.Add(0x0A);
                return j + 1;
            case 'r':
                bytes.Add(0x0D);
                return j + 1;
            case 't':
                bytes.Add(0x09);
                return j + 1;
            case >= '0' and <= '7':
            {
                var value = 0;
                var k = j;
                while (k < end && k < j + 3 && sql[k] is >= '0' and <= '7')
                {
                    value = (value * 8) + (sql[k] - '0');
                    k++;
                }

                bytes.Add((byte)(value & 0xFF));
                return k;
            }

            case 'x' when j + 1 < end && char.IsAsciiHexDigit(sql[j + 1]):
            {
                var k = j + 1;
                var value = 0;
                while (k < end && k < j + 3 && char.IsAsciiHexDigit(sql[k]))
                {
                    value = (value * 16) + HexValue(sql[k]);
                    k++;
                }

                bytes.Add((byte)value);
                return k;
            }

            default:
            {
                var width = char.IsHighSurrogate(d) && j + 1 < end && char.IsLowSurrogate(sql[j + 1]) ? 2 : 1;
                if (Rune.DecodeFromUtf16(sql.AsSpan(j, width), out var rune, out _) != System.Buffers.OperationStatus.Done)
                {
                    return -1;
                }

                AddRune(bytes, rune, utf8);
                return j + width;
            }
        }
    }

    /// <summary>Appends a code point, pairing UTF-16 surrogates given as two escapes; false for an invalid value.</summary>
    private static bool AppendCodePoint(StringBuilder builder, int codePoint, ref int pendingHigh)
    {
        if (pendingHigh >= 0)
        {
            if (codePoint is < 0xDC00 or > 0xDFFF)
            {
                return false;
            }

            builder.Append(char.ConvertFromUtf32(0x10000 + ((pendingHigh - 0xD800) << 10) + (codePoint - 0xDC00)));
            pendingHigh = -1;
            return true;
        }

        if (codePoint is >= 0xD800 and <= 0xDBFF)
        {
            pendingHigh = codePoint;
            return true;
        }

        if (codePoint is <= 0 or > 0x10FFFF or (>= 0xDC00 and <= 0xDFFF))
        {
            return false;
        }

        builder.Append(char.ConvertFromUtf32(codePoint));
        return true;
    }

    private static void AddRune(List<byte> bytes, Rune rune, Span<byte> utf8)
    {
        var count = rune.EncodeToUtf8(utf8);
        for (var k = 0; k < count; k++)
        {
            bytes.Add(utf8[k]);
        }
    }

    private static bool TryHex(ReadOnlySpan<char> text, int digits, out int value)
    {
        value = 0;
        if (text.Length < digits)
        {
            return false;
        }

        return int.TryParse(text[..digits], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
