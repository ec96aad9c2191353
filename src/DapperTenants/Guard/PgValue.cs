using System.Globalization;

namespace DapperTenants.Guard;

/// <summary>
/// A value as PostgreSQL would hold it while it travels through casts into a tenant column: an untyped string
/// constant, text, an integer or a UUID, or <see cref="PgValueKind.Invalid"/> when the guard cannot tell (or the
/// database would raise an error). Casts and comparisons allocate nothing.
/// </summary>
internal readonly struct PgValue
{
    private const int TextOfString = 0;
    private const int TextOfInteger = 1;
    private const int TextOfUuid = 2;

    private readonly string? _text;
    private readonly int _textLength;
    private readonly int _textSource;
    private readonly long _integer;
    private readonly Guid _uuid;

    private PgValue(PgValueKind kind, string? text = null, int textLength = 0, int textSource = TextOfString, long integer = 0,
        PgTypeFamily width = PgTypeFamily.Other, Guid uuid = default)
    {
        Kind = kind;
        _text = text;
        _textLength = textLength;
        _textSource = textSource;
        _integer = integer;
        Width = width;
        _uuid = uuid;
    }

    public PgValueKind Kind { get; }

    /// <summary>For an integer, the family of its type (a literal that fits in four bytes is an <c>integer</c>).</summary>
    public PgTypeFamily Width { get; }

    public bool IsValid => Kind != PgValueKind.Invalid;

    public static PgValue Invalid => default;

    /// <summary>A string constant without a type: PostgreSQL reads it with the input function of the type it lands in.</summary>
    public static PgValue Literal(string value) => new(PgValueKind.Literal, value, value.Length);

    public static PgValue Text(string value) => new(PgValueKind.Text, value, value.Length);

    public static PgValue Integer(long value, PgTypeFamily width) => new(PgValueKind.Integer, integer: value, width: width);

    public static PgValue Uuid(Guid value) => new(PgValueKind.Uuid, uuid: value);

    /// <summary>An integer constant as written (digits only), negated when a minus sign preceded it.</summary>
    public static PgValue FromIntegerToken(ReadOnlySpan<char> digits, bool negative)
    {
        if (!ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var magnitude)
            || magnitude > (negative ? 1UL << 63 : long.MaxValue))
        {
            return Invalid;
        }

        var value = negative ? (long)(0 - magnitude) : (long)magnitude;
        return Integer(value, value is >= int.MinValue and <= int.MaxValue ? PgTypeFamily.Int32 : PgTypeFamily.Int64);
    }

    /// <summary>The value Npgsql sends for a parameter value of this CLR type, as far as the guard understands it.</summary>
    public static PgValue FromParameter(object? value) => value switch
    {
        string s => Text(s),
        Guid g => Uuid(g),
        int v => Integer(v, PgTypeFamily.Int32),
        long v => Integer(v, PgTypeFamily.Int64),
        short v => Integer(v, PgTypeFamily.Int16),
        byte v => Integer(v, PgTypeFamily.Int16),
        sbyte v => Integer(v, PgTypeFamily.Int16),
        _ => Invalid,
    };

    /// <summary>An explicit cast (<c>::type</c>, <c>CAST(… AS type)</c>, <c>type '…'</c>).</summary>
    public PgValue CastTo(PgType target)
    {
        switch (target.Family)
        {
            case PgTypeFamily.Text:
                var text = AsText();
                if (!text.IsValid || target.MaxLength <= 0)
                {
                    return text;
                }

                // An explicit cast to character varying(n) silently truncates.
                return text.CodePoints() <= target.MaxLength ? text : text.TruncateTo(target.MaxLength);
            case PgTypeFamily.Bpchar:
                // character(n) truncates like varchar(n) and pads; text made from it drops the trailing spaces.
                var padded = AsText();
                if (padded.IsValid && target.MaxLength > 0 && padded.CodePoints() > target.MaxLength)
                {
                    padded = padded.TruncateTo(target.MaxLength);
                }

                return padded.TrimEnd();
            case PgTypeFamily.Int16 or PgTypeFamily.Int32 or PgTypeFamily.Int64:
                return Kind switch
                {
                    PgValueKind.Integer => InRange(target),
                    PgValueKind.Literal or PgValueKind.Text => _textSource == TextOfInteger
                        ? Integer(_integer, target.Family).InRange(target)
                        : ParseInteger(target),
                    _ => Invalid,
                };
            case PgTypeFamily.Uuid:
                return Kind switch
                {
                    PgValueKind.Uuid => this,
                    PgValueKind.Literal or PgValueKind.Text when _textSource == TextOfUuid => Uuid(_uuid),
                    PgValueKind.Literal or PgValueKind.Text when _textSource == TextOfString => ParseUuid(),
                    _ => Invalid,
                };
            default:
                return Invalid;
        }
    }

    /// <summary>The value stored in a column of <paramref name="column"/>'s type (assignment cast rules), or invalid.</summary>
    public PgValue AssignTo(PgType column)
    {
        switch (column.Family)
        {
            case PgTypeFamily.Text:
                var text = AsText();
                if (!text.IsValid || column.MaxLength <= 0 || text.CodePoints() <= column.MaxLength)
                {
                    return text;
                }

                // Too long for character varying(n): an error, unless everything past n is spaces, which are dropped.
                return text._textSource == TextOfString && text.ExcessIsSpaces(column.MaxLength) ? text.TruncateTo(column.MaxLength) : Invalid;
            case PgTypeFamily.Int16 or PgTypeFamily.Int32 or PgTypeFamily.Int64:
                return Kind switch
                {
                    PgValueKind.Integer => InRange(column),
                    PgValueKind.Literal => ParseInteger(column),
                    _ => Invalid,
                };
            case PgTypeFamily.Uuid:
                return Kind switch
                {
                    PgValueKind.Uuid => this,
                    PgValueKind.Literal => ParseUuid(),
                    _ => Invalid,
                };
            default:
                return Invalid;
        }
    }

    /// <summary>Compares a value already assigned to <paramref name="column"/> with the connection's tenant.</summary>
    /// <returns><see langword="false"/> when they cannot be compared (the tenant is not a value of the column's type).</returns>
    public bool TryCompare(PgType column, string tenant, out bool equal)
    {
        equal = false;
        switch (Kind)
        {
            case PgValueKind.Text:
                Span<char> buffer = stackalloc char[40];
                equal = tenant.AsSpan().SequenceEqual(TextSpan(buffer));
                return true;
            case PgValueKind.Integer:
                if (!PgParse.TryInteger(tenant, column, out var tenantValue))
                {
                    return false;
                }

                equal = tenantValue == _integer;
                return true;
            case PgValueKind.Uuid:
                if (!PgParse.TryUuid(tenant, out var tenantUuid))
                {
                    return false;
                }

                equal = tenantUuid == _uuid;
                return true;
            default:
                return false;
        }
    }

    /// <summary>The value as the database prints it, for messages.</summary>
    public override string ToString()
    {
        switch (Kind)
        {
            case PgValueKind.Literal or PgValueKind.Text:
                Span<char> buffer = stackalloc char[40];
                return TextSpan(buffer).ToString();
            case PgValueKind.Integer:
                return _integer.ToString(CultureInfo.InvariantCulture);
            case PgValueKind.Uuid:
                return _uuid.ToString("D", CultureInfo.InvariantCulture);
            default:
                return string.Empty;
        }
    }

    private PgValue AsText() => Kind switch
    {
        PgValueKind.Literal => new PgValue(PgValueKind.Text, _text, _textLength),
        PgValueKind.Text => this,
        PgValueKind.Integer => new PgValue(PgValueKind.Text, textLength: DigitCount(_integer), textSource: TextOfInteger, integer: _integer),
        PgValueKind.Uuid => new PgValue(PgValueKind.Text, textLength: 36, textSource: TextOfUuid, uuid: _uuid),
        _ => Invalid,
    };

    private PgValue TrimEnd()
    {
        if (Kind != PgValueKind.Text || _textSource != TextOfString)
        {
            return this;
        }

        return new PgValue(PgValueKind.Text, _text, _text.AsSpan(0, _textLength).TrimEnd(' ').Length);
    }

    private PgValue InRange(PgType target)
    {
        var (min, max) = target.Range;
        return _integer >= min && _integer <= max ? Integer(_integer, target.Family) : Invalid;
    }

    private PgValue ParseInteger(PgType target)
    {
        Span<char> buffer = stackalloc char[40];
        return PgParse.TryInteger(TextSpan(buffer), target, out var value) ? Integer(value, target.Family) : Invalid;
    }

    private PgValue ParseUuid()
    {
        Span<char> buffer = stackalloc char[40];
        return PgParse.TryUuid(TextSpan(buffer), out var value) ? Uuid(value) : Invalid;
    }

    private ReadOnlySpan<char> TextSpan(Span<char> buffer)
    {
        switch (_textSource)
        {
            case TextOfInteger:
                _integer.TryFormat(buffer, out var written, default, CultureInfo.InvariantCulture);
                return buffer[..written];
            case TextOfUuid:
                _uuid.TryFormat(buffer, out written, "D");
                return buffer[..written];
            default:
                return _text.AsSpan(0, _textLength);
        }
    }

    private int CodePoints()
    {
        if (_textSource != TextOfString)
        {
            return _textLength;
        }

        var span = _text.AsSpan(0, _textLength);
        var count = span.Length;
        foreach (var c in span)
        {
            if (char.IsLowSurrogate(c))
            {
                count--;
            }
        }

        return count;
    }

    /// <summary>The first <paramref name="codePoints"/> characters (only called when the text is longer).</summary>
    private PgValue TruncateTo(int codePoints)
    {
        if (_textSource != TextOfString)
        {
            return Invalid;
        }

        return new PgValue(PgValueKind.Text, _text, CodePointOffset(codePoints));
    }

    private bool ExcessIsSpaces(int codePoints) =>
        !_text.AsSpan(CodePointOffset(codePoints), _textLength - CodePointOffset(codePoints)).ContainsAnyExcept(' ');

    private int CodePointOffset(int codePoints)
    {
        var span = _text.AsSpan(0, _textLength);
        var k = 0;
        for (var seen = 0; seen < codePoints && k < span.Length; seen++)
        {
            k += char.IsHighSurrogate(span[k]) && k + 1 < span.Length && char.IsLowSurrogate(span[k + 1]) ? 2 : 1;
        }

        return k;
    }

    private static int DigitCount(long value)
    {
        Span<char> buffer = stackalloc char[24];
        value.TryFormat(buffer, out var written, default, CultureInfo.InvariantCulture);
        return written;
    }
}
