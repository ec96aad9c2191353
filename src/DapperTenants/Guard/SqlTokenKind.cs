namespace DapperTenants.Guard;

/// <summary>The kinds of token PostgreSQL's lexer produces, plus the named placeholders Npgsql rewrites.</summary>
internal enum SqlTokenKind : byte
{
    /// <summary>An unquoted identifier or keyword (folded to lower case when its name is read).</summary>
    Identifier,

    /// <summary><c>"…"</c> with <c>""</c> for a quote.</summary>
    QuotedIdentifier,

    /// <summary><c>U&amp;"…"</c>, optionally followed by <c>UESCAPE '…'</c>.</summary>
    UnicodeIdentifier,

    /// <summary><c>'…'</c> with <c>''</c> for a quote, including continuation lines.</summary>
    String,

    /// <summary><c>E'…'</c> with backslash escapes.</summary>
    EscapeString,

    /// <summary><c>U&amp;'…'</c>, optionally followed by <c>UESCAPE '…'</c>.</summary>
    UnicodeString,

    /// <summary><c>$tag$…$tag$</c>.</summary>
    DollarString,

    /// <summary><c>N'…'</c>, a <c>character</c> (bpchar) constant.</summary>
    NationalString,

    /// <summary><c>B'…'</c>.</summary>
    BitString,

    /// <summary><c>X'…'</c>.</summary>
    HexString,

    /// <summary>Digits only.</summary>
    Integer,

    /// <summary>A number with a point or an exponent.</summary>
    Numeric,

    /// <summary><c>$1</c>.</summary>
    Positional,

    /// <summary><c>@name</c> or <c>:name</c>, which Npgsql replaces when the command has a parameter of that name.</summary>
    Named,

    /// <summary>A run of operator characters, split as PostgreSQL splits it.</summary>
    Operator,

    OpenParen,
    CloseParen,
    OpenBracket,
    CloseBracket,
    Comma,
    Semicolon,
    Dot,
    DotDot,
    Colon,
    DoubleColon,
    ColonEquals,

    /// <summary>A character PostgreSQL returns on its own and its grammar rejects (<c>\</c>, <c>{</c>, a lone <c>$</c>).</summary>
    Other,

    /// <summary>Input PostgreSQL rejects while lexing: an unterminated quote or comment, or junk after a number.</summary>
    Error,
}
