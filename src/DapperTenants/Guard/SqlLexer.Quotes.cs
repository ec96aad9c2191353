namespace DapperTenants.Guard;

/// <summary>Quoted constructs: string constants with their continuation lines, quoted identifiers, <c>UESCAPE</c>, dollar quotes.</summary>
internal static partial class SqlLexer
{
    /// <summary>A quoted string from <paramref name="quote"/>, with <c>''</c>, optional backslash escapes and continuation lines.</summary>
    private static SqlToken Quoted(string sql, int start, int quote, SqlTokenKind kind, bool backslashEscapes)
    {
        var end = ScanString(sql, quote, backslashEscapes);
        return end < 0 ? new SqlToken(SqlTokenKind.Error, start, sql.Length - start) : new SqlToken(kind, start, end - start);
    }

    /// <summary>Returns the index after the closing quote (and any continuation segments), or -1 when unterminated.</summary>
    internal static int ScanString(string sql, int quote, bool backslashEscapes)
    {
        var n = sql.Length;
        var j = quote + 1;
        while (true)
        {
            while (j < n)
            {
                var c = sql[j];
                if (c == '\'')
                {
                    if (j + 1 < n && sql[j + 1] == '\'')
                    {
                        j += 2;
                        continue;
                    }

                    break;
                }

                j += backslashEscapes && c == '\\' ? 2 : 1;
            }

            if (j >= n)
            {
                return -1;
            }

            j++;
            var continuation = FindContinuation(sql, j);
            if (continuation < 0)
            {
                return j;
            }

            j = continuation + 1;
        }
    }

    /// <summary>
    /// PostgreSQL joins <c>'a'</c> and <c>'b'</c> into one constant when only whitespace with at least one newline
    /// (and <c>--</c> comments, but no block comments) separates them. Returns the next quote's index, or -1.
    /// </summary>
    internal static int FindContinuation(string sql, int j)
    {
        var newline = false;
        while (j < sql.Length)
        {
            var c = sql[j];
            if (c is '\n' or '\r')
            {
                newline = true;
                j++;
            }
            else if (IsSpace(c))
            {
                j++;
            }
            else if (c == '-' && j + 1 < sql.Length && sql[j + 1] == '-')
            {
                j = SkipLineComment(sql, j);
            }
            else
            {
                return newline && c == '\'' ? j : -1;
            }
        }

        return -1;
    }

    private static SqlToken QuotedIdentifier(string sql, int start, int quote, SqlTokenKind kind)
    {
        var n = sql.Length;
        var j = quote + 1;
        while (j < n)
        {
            if (sql[j] == '"')
            {
                if (j + 1 < n && sql[j + 1] == '"')
                {
                    j += 2;
                    continue;
                }

                // A zero-length delimited identifier is an error in PostgreSQL.
                return j == quote + 1
                    ? new SqlToken(SqlTokenKind.Error, start, j + 1 - start)
                    : new SqlToken(kind, start, j + 1 - start);
            }

            j++;
        }

        return new SqlToken(SqlTokenKind.Error, start, n - start);
    }

    /// <summary>Extends a <c>U&amp;</c> token over a following <c>UESCAPE 'c'</c> (comments may sit between them).</summary>
    private static SqlToken WithUescape(string sql, SqlToken token)
    {
        if (token.Kind == SqlTokenKind.Error)
        {
            return token;
        }

        var k = SkipSpaceAndComments(sql, token.End);
        const string Uescape = "uescape";
        if (k + Uescape.Length > sql.Length || !SqlTokens.EqualsKeyword(sql.AsSpan(k, Uescape.Length), Uescape)
            || (k + Uescape.Length < sql.Length && IsIdentCont(sql[k + Uescape.Length])))
        {
            return token;
        }

        var m = SkipSpaceAndComments(sql, k + Uescape.Length);
        var end = m < sql.Length && sql[m] == '\'' ? ScanString(sql, m, backslashEscapes: false) : -1;
        return end < 0
            ? new SqlToken(SqlTokenKind.Error, token.Start, Math.Max(m, k + Uescape.Length) - token.Start)
            : new SqlToken(token.Kind, token.Start, end - token.Start);
    }

    private static SqlToken Dollar(string sql, int i, char next)
    {
        var n = sql.Length;
        if (IsDigit(next))
        {
            var j = i + 1;
            while (j < n && IsDigit(sql[j]))
            {
                j++;
            }

            return JunkAfter(sql, i, j) ?? new SqlToken(SqlTokenKind.Positional, i, j - i);
        }

        if (next == '$' || IsIdentStart(next))
        {
            var j = i + 1;
            while (j < n && IsDollarTagCont(sql[j]))
            {
                j++;
            }

            if (j < n && sql[j] == '$')
            {
                var close = FindDollarClose(sql, sql.AsSpan(i, j + 1 - i), j + 1);
                return close < 0
                    ? new SqlToken(SqlTokenKind.Error, i, n - i)
                    : new SqlToken(SqlTokenKind.DollarString, i, close + (j + 1 - i) - i);
            }
        }

        return new SqlToken(SqlTokenKind.Other, i, 1);
    }

    /// <summary>
    /// Finds the closing delimiter in linear time: a tag never contains <c>$</c>, so the comparison started at one
    /// <c>$</c> fails at the latest at the next one, and each character is looked at a bounded number of times.
    /// </summary>
    private static int FindDollarClose(string sql, ReadOnlySpan<char> delimiter, int from)
    {
        var j = from;
        while (j < sql.Length)
        {
            var k = sql.AsSpan(j).IndexOf('$');
            if (k < 0)
            {
                return -1;
            }

            j += k;
            if (sql.AsSpan(j).StartsWith(delimiter, StringComparison.Ordinal))
            {
                return j;
            }

            j++;
        }

        return -1;
    }
}
