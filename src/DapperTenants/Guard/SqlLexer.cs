using System.Buffers;

namespace DapperTenants.Guard;

/// <summary>
/// Splits SQL into tokens following PostgreSQL's lexical grammar (<c>scan.l</c>), in one forward pass with no
/// backtracking, and recognizes the <c>@name</c>/<c>:name</c> placeholders exactly where Npgsql looks for them.
/// </summary>
/// <remarks>
/// Whitespace and comments produce no tokens. Input PostgreSQL would reject while lexing becomes an
/// <see cref="SqlTokenKind.Error"/> token, so that the statement around it is left to the database.
/// </remarks>
internal static partial class SqlLexer
{
    private static readonly SearchValues<char> NonStandardOperatorChars = SearchValues.Create("~!@#^&|`?%");

    public static SqlTokens Tokenize(string sql)
    {
        var tokens = new TokenBuffer(sql.Length);
        var n = sql.Length;
        var i = 0;
        while (i < n)
        {
            var c = sql[i];
            if (IsSpace(c))
            {
                i++;
                continue;
            }

            var next = i + 1 < n ? sql[i + 1] : '\0';
            if (c == '-' && next == '-')
            {
                i = SkipLineComment(sql, i);
                continue;
            }

            if (c == '/' && next == '*')
            {
                var end = SkipBlockComment(sql, i);
                if (end < 0)
                {
                    tokens.Add(new SqlToken(SqlTokenKind.Error, i, n - i));
                    break;
                }

                i = end;
                continue;
            }

            if (IsOpChar(c) && !(c == '@' && StartsPlaceholder(sql, i)))
            {
                i = Operators(sql, i, tokens);
                continue;
            }

            var token = Next(sql, i, c, next);
            tokens.Add(token);
            i = token.End;
        }

        return new SqlTokens(sql, tokens.Items, tokens.Count);
    }

    private static SqlToken Next(string sql, int i, char c, char next)
    {
        switch (c)
        {
            case '\'':
                return Quoted(sql, i, i, SqlTokenKind.String, backslashEscapes: false);
            case '"':
                return QuotedIdentifier(sql, i, i, SqlTokenKind.QuotedIdentifier);
            case '$':
                return Dollar(sql, i, next);
            case '(':
                return new SqlToken(SqlTokenKind.OpenParen, i, 1);
            case ')':
                return new SqlToken(SqlTokenKind.CloseParen, i, 1);
            case '[':
                return new SqlToken(SqlTokenKind.OpenBracket, i, 1);
            case ']':
                return new SqlToken(SqlTokenKind.CloseBracket, i, 1);
            case ',':
                return new SqlToken(SqlTokenKind.Comma, i, 1);
            case ';':
                return new SqlToken(SqlTokenKind.Semicolon, i, 1);
            case ':':
                return Colon(sql, i, next);
            case '.':
                if (next == '.')
                {
                    return new SqlToken(SqlTokenKind.DotDot, i, 2);
                }

                return IsDigit(next) ? Number(sql, i) : new SqlToken(SqlTokenKind.Dot, i, 1);
            case '@' when StartsPlaceholder(sql, i):
                return Placeholder(sql, i);
        }

        if (IsDigit(c))
        {
            return Number(sql, i);
        }

        if (IsIdentStart(c))
        {
            return Word(sql, i, c, next);
        }

        return new SqlToken(SqlTokenKind.Other, i, 1);
    }

    private static SqlToken Word(string sql, int i, char c, char next)
    {
        if (next == '\'')
        {
            switch (c)
            {
                case 'e' or 'E':
                    return Quoted(sql, i, i + 1, SqlTokenKind.EscapeString, backslashEscapes: true);
                case 'n' or 'N':
                    return Quoted(sql, i, i + 1, SqlTokenKind.NationalString, backslashEscapes: false);
                case 'b' or 'B':
                    return Quoted(sql, i, i + 1, SqlTokenKind.BitString, backslashEscapes: false);
                case 'x' or 'X':
                    return Quoted(sql, i, i + 1, SqlTokenKind.HexString, backslashEscapes: false);
            }
        }

        if (c is 'u' or 'U' && next == '&' && i + 2 < sql.Length)
        {
            if (sql[i + 2] == '\'')
            {
                return WithUescape(sql, Quoted(sql, i, i + 2, SqlTokenKind.UnicodeString, backslashEscapes: false));
            }

            if (sql[i + 2] == '"')
            {
                return WithUescape(sql, QuotedIdentifier(sql, i, i + 2, SqlTokenKind.UnicodeIdentifier));
            }
        }

        var j = i + 1;
        while (j < sql.Length && IsIdentCont(sql[j]))
        {
            j++;
        }

        return new SqlToken(SqlTokenKind.Identifier, i, j - i);
    }

    private static SqlToken Colon(string sql, int i, char next)
    {
        if (next == ':')
        {
            return new SqlToken(SqlTokenKind.DoubleColon, i, 2);
        }

        if (next == '=')
        {
            return new SqlToken(SqlTokenKind.ColonEquals, i, 2);
        }

        return StartsPlaceholder(sql, i) ? Placeholder(sql, i) : new SqlToken(SqlTokenKind.Colon, i, 1);
    }

    /// <summary>Npgsql's rule: <c>@</c> or <c>:</c> not preceded by the same character, followed by a name character.</summary>
    private static bool StartsPlaceholder(string sql, int i) =>
        i + 1 < sql.Length && IsParamNameChar(sql[i + 1]) && (i == 0 || sql[i - 1] != sql[i]);

    private static SqlToken Placeholder(string sql, int i)
    {
        var j = i + 1;
        while (j < sql.Length && IsParamNameChar(sql[j]))
        {
            j++;
        }

        return new SqlToken(SqlTokenKind.Named, i, j - i);
    }

    private static SqlToken Number(string sql, int i)
    {
        var n = sql.Length;
        var j = i;
        var kind = SqlTokenKind.Integer;
        while (j < n && IsDigit(sql[j]))
        {
            j++;
        }

        // "1..2" is the integer 1 followed by "..", not the decimal "1.".
        if (j < n && sql[j] == '.' && !(j + 1 < n && sql[j + 1] == '.'))
        {
            kind = SqlTokenKind.Numeric;
            j++;
            while (j < n && IsDigit(sql[j]))
            {
                j++;
            }
        }

        if (j < n && sql[j] is 'e' or 'E')
        {
            var k = j + 1;
            if (k < n && sql[k] is '+' or '-')
            {
                k++;
            }

            if (k < n && IsDigit(sql[k]))
            {
                kind = SqlTokenKind.Numeric;
                j = k;
                while (j < n && IsDigit(sql[j]))
                {
                    j++;
                }
            }
        }

        return JunkAfter(sql, i, j) ?? new SqlToken(kind, i, j - i);
    }

    /// <summary>PostgreSQL 15 rejects identifier characters right after a number or a <c>$n</c> ("trailing junk").</summary>
    private static SqlToken? JunkAfter(string sql, int start, int j)
    {
        if (j >= sql.Length || !IsIdentStart(sql[j]))
        {
            return null;
        }

        while (j < sql.Length && IsIdentCont(sql[j]))
        {
            j++;
        }

        return new SqlToken(SqlTokenKind.Error, start, j - start);
    }

    /// <summary>
    /// A run of operator characters, split as PostgreSQL splits it, in one pass. A multi-character operator cannot end
    /// in + or - unless it contains a character no SQL-standard operator uses ("=-1" is "=" followed by "-1"); what is
    /// cut off is lexed again, and is then only + and - characters, each its own token.
    /// </summary>
    private static int Operators(string sql, int i, TokenBuffer tokens)
    {
        var n = sql.Length;
        var j = i;
        var lastSpecial = -1;
        var lastOther = -1;
        while (j < n && IsOpChar(sql[j]))
        {
            var c = sql[j];
            if (j > i)
            {
                var following = j + 1 < n ? sql[j + 1] : '\0';
                if ((c == '-' && following == '-') || (c == '/' && following == '*') || (c == '@' && StartsPlaceholder(sql, j)))
                {
                    break;
                }
            }

            if (NonStandardOperatorChars.Contains(c))
            {
                lastSpecial = j;
            }

            if (c is not ('+' or '-'))
            {
                lastOther = j;
            }

            j++;
        }

        var k = i;
        while (k < j)
        {
            var length = j - k;
            if (length > 1 && sql[j - 1] is '+' or '-' && !(lastSpecial >= k && lastSpecial < j - 1))
            {
                length = lastOther >= k ? lastOther + 1 - k : 1;
            }

            tokens.Add(new SqlToken(SqlTokenKind.Operator, k, length));
            k += length;
        }

        return j;
    }

    internal static int SkipLineComment(string sql, int i)
    {
        var k = sql.AsSpan(i).IndexOfAny('\n', '\r');
        return k < 0 ? sql.Length : i + k;
    }

    /// <summary>Skips a nested block comment; returns the index after it, or -1 when it is not closed.</summary>
    internal static int SkipBlockComment(string sql, int i)
    {
        var n = sql.Length;
        var depth = 1;
        var j = i + 2;
        while (j < n)
        {
            var k = sql.AsSpan(j).IndexOfAny('*', '/');
            if (k < 0)
            {
                return -1;
            }

            j += k;
            if (sql[j] == '*' && j + 1 < n && sql[j + 1] == '/')
            {
                j += 2;
                if (--depth == 0)
                {
                    return j;
                }
            }
            else if (sql[j] == '/' && j + 1 < n && sql[j + 1] == '*')
            {
                depth++;
                j += 2;
            }
            else
            {
                j++;
            }
        }

        return -1;
    }

    internal static int SkipSpaceAndComments(string sql, int i)
    {
        while (i < sql.Length)
        {
            var c = sql[i];
            if (IsSpace(c))
            {
                i++;
            }
            else if (c == '-' && i + 1 < sql.Length && sql[i + 1] == '-')
            {
                i = SkipLineComment(sql, i);
            }
            else if (c == '/' && i + 1 < sql.Length && sql[i + 1] == '*')
            {
                var end = SkipBlockComment(sql, i);
                if (end < 0)
                {
                    return sql.Length;
                }

                i = end;
            }
            else
            {
                return i;
            }
        }

        return i;
    }

    // PostgreSQL 16 added \v to its whitespace; 15 rejects it, so treating it as space never hides an error.
    internal static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v';

    internal static bool IsDigit(char c) => c is >= '0' and <= '9';

    // Every byte above 0x7F is an identifier character in PostgreSQL; in UTF-16, every char above 0x7F.
    internal static bool IsIdentStart(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_' or > '\u007f';

    internal static bool IsIdentCont(char c) => IsIdentStart(c) || IsDigit(c) || c == '$';

    private static bool IsDollarTagCont(char c) => IsIdentStart(c) || IsDigit(c);

    private static bool IsOpChar(char c) => c is '~' or '!' or '@' or '#' or '^' or '&' or '|' or '`' or '?' or '+' or '-' or '*' or '/' or '%' or '<' or '>' or '=';

    // Npgsql's placeholder name characters.
    internal static bool IsParamNameChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '.';

    /// <summary>A growable array of tokens, handed to <see cref="SqlTokens"/> without a copy.</summary>
    private sealed class TokenBuffer
    {
        public TokenBuffer(int length)
        {
            Items = new SqlToken[Math.Clamp(length / 4 + 4, 8, 4096)];
        }

        public SqlToken[] Items { get; private set; }

        public int Count { get; private set; }

        public void Add(SqlToken token)
        {
            if (Count == Items.Length)
            {
                var grown = new SqlToken[Items.Length * 2];
                Array.Copy(Items, grown, Count);
                Items = grown;
            }

            Items[Count++] = token;
        }
    }
}
