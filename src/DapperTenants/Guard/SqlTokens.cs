using System.Text;

namespace DapperTenants.Guard;

/// <summary>The tokens of one SQL text, with each bracket's partner, and the questions the parser asks of them.</summary>
internal sealed class SqlTokens
{
    // PostgreSQL truncates identifiers to NAMEDATALEN - 1 bytes.
    private const int MaxIdentifierBytes = 63;

    private readonly SqlToken[] _tokens;
    private readonly int[] _partner;

    public SqlTokens(string sql, SqlToken[] tokens, int count)
    {
        Sql = sql;
        _tokens = tokens;
        Count = count;
        _partner = new int[count];
        BalancedEnd = MatchBrackets();
    }

    public string Sql { get; }

    public int Count { get; }

    /// <summary>Whether every parenthesis and bracket is closed by its own kind and no <c>;</c> sits inside one.</summary>
    public bool Balanced => BalancedEnd == Count;

    /// <summary>
    /// Where the first statement (a run of tokens between semicolons) whose brackets do not balance begins, or
    /// <see cref="Count"/>. Every bracket before it has its partner. Such a statement is a syntax error: neither it nor
    /// any statement after it runs, whether the text is sent whole or split into statements as Npgsql does.
    /// </summary>
    public int BalancedEnd { get; }

    public SqlToken this[int index] => _tokens[index];

    /// <summary>The kind of token <paramref name="i"/>; <see cref="SqlTokenKind.Error"/> outside the text.</summary>
    public SqlTokenKind Kind(int i) => (uint)i < (uint)Count ? _tokens[i].Kind : SqlTokenKind.Error;

    public bool Is(int i, SqlTokenKind kind) => (uint)i < (uint)Count && _tokens[i].Kind == kind;

    /// <summary>The index of the bracket that closes (or opens) the one at <paramref name="i"/>.</summary>
    public int Partner(int i) => _partner[i];

    public ReadOnlySpan<char> Text(int i) => Sql.AsSpan(_tokens[i].Start, _tokens[i].Length);

    /// <summary>Whether token <paramref name="i"/> is the unquoted keyword <paramref name="keyword"/> (given in lower case).</summary>
    public bool IsKeyword(int i, string keyword) =>
        Is(i, SqlTokenKind.Identifier) && EqualsKeyword(Text(i), keyword);

    public bool IsOperator(int i, string op) =>
        Is(i, SqlTokenKind.Operator) && Text(i).SequenceEqual(op);

    public bool IsName(int i) => Kind(i) is SqlTokenKind.Identifier or SqlTokenKind.QuotedIdentifier or SqlTokenKind.UnicodeIdentifier;

    public bool IsStringConstant(int i) =>
        Kind(i) is SqlTokenKind.String or SqlTokenKind.EscapeString or SqlTokenKind.UnicodeString or SqlTokenKind.DollarString;

    /// <summary>The identifier as PostgreSQL names it: unquoted folded to lower case, quoted decoded, both truncated.</summary>
    public string? Name(int i)
    {
        string? name = Kind(i) switch
        {
            SqlTokenKind.Identifier => FoldIdentifier(Sql, _tokens[i]),
            SqlTokenKind.QuotedIdentifier => Text(i)[1..^1].ToString().Replace("\"\"", "\"", StringComparison.Ordinal),
            SqlTokenKind.UnicodeIdentifier => SqlLiterals.DecodeUnicodeIdentifier(this, i),
            _ => null,
        };
        return name is null ? null : Truncate(name);
    }

    /// <summary>ASCII-only, case-insensitive comparison with a lower-case keyword, as PostgreSQL matches keywords.</summary>
    public static bool EqualsKeyword(ReadOnlySpan<char> text, string keyword)
    {
        if (text.Length != keyword.Length)
        {
            return false;
        }

        for (var k = 0; k < text.Length; k++)
        {
            var c = text[k];
            if (c is >= 'A' and <= 'Z')
            {
                c = (char)(c + 32);
            }

            if (c != keyword[k])
            {
                return false;
            }
        }

        return true;
    }

    private static string FoldIdentifier(string sql, SqlToken token) =>
        string.Create(token.Length, (sql, token.Start), static (span, state) =>
        {
            var source = state.sql.AsSpan(state.Start, span.Length);
            for (var k = 0; k < source.Length; k++)
            {
                var c = source[k];
                span[k] = c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
            }
        });

    private static string Truncate(string name)
    {
        if (name.Length <= MaxIdentifierBytes / 3 || Encoding.UTF8.GetByteCount(name) <= MaxIdentifierBytes)
        {
            return name;
        }

        var bytes = 0;
        var k = 0;
        while (k < name.Length)
        {
            var width = char.IsHighSurrogate(name[k]) && k + 1 < name.Length && char.IsLowSurrogate(name[k + 1]) ? 2 : 1;
            var size = Encoding.UTF8.GetByteCount(name.AsSpan(k, width));
            if (bytes + size > MaxIdentifierBytes)
            {
                break;
            }

            bytes += size;
            k += width;
        }

        return name[..k];
    }

    private int MatchBrackets()
    {
        var stack = new Stack<int>();
        var statement = 0;
        // A token without a partner is its own: skipping it always moves forward, even past the balanced part.
        for (var i = 0; i < Count; i++)
        {
            _partner[i] = i;
        }

        for (var i = 0; i < Count; i++)
        {
            switch (_tokens[i].Kind)
            {
                case SqlTokenKind.OpenParen or SqlTokenKind.OpenBracket:
                    stack.Push(i);
                    break;
                case SqlTokenKind.CloseParen or SqlTokenKind.CloseBracket:
                    var expected = _tokens[i].Kind == SqlTokenKind.CloseParen ? SqlTokenKind.OpenParen : SqlTokenKind.OpenBracket;
                    if (stack.Count == 0 || _tokens[stack.Peek()].Kind != expected)
                    {
                        return statement;
                    }

                    var open = stack.Pop();
                    _partner[open] = i;
                    _partner[i] = open;
                    break;
                case SqlTokenKind.Semicolon:
                    if (stack.Count > 0)
                    {
                        return statement;
                    }

                    statement = i + 1;
                    break;
            }
        }

        return stack.Count == 0 ? Count : statement;
    }
}
