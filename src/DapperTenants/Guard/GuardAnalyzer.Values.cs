using System.Globalization;

namespace DapperTenants.Guard;

/// <summary>
/// The tenant values the guard understands: string constants in every form, integers, and placeholders, each with
/// optional casts (<c>::type</c>, <c>CAST(… AS type)</c>, <c>type '…'</c>) and parentheses. Anything else is unknown.
/// </summary>
internal sealed partial class GuardAnalyzer
{
    private const int MaxValueDepth = 32;

    // Keywords that continue an expression, so a trailing one is not a column label.
    private static readonly string[] NotLabels = ["isnull", "notnull", "collate", "and", "or", "not", "is", "in", "like", "ilike",
        "similar", "between", "escape", "at", "overlaps", "from", "where", "group", "having", "window", "order", "limit", "offset",
        "fetch", "for", "into", "union", "intersect", "except", "on", "returning"];

    private void AddValue(WriteTarget target, WriteKind kind, (int Start, int End) range, bool label)
    {
        if (ParseValue(range.Start, range.End, label) is { } value)
        {
            AddParsed(target, kind, value, []);
        }
    }

    /// <summary>
    /// Adds the check for one value, converted by its own casts and then by <paramref name="conversions"/> (a union's);
    /// a constant is evaluated now, a parameter at each execution.
    /// </summary>
    private void AddParsed(WriteTarget target, WriteKind kind, ValueExpression value, IReadOnlyList<PgType> conversions)
    {
        var table = target.Table.Schema + "." + target.Table.Table;
        PgType[] steps = [.. value.Casts, .. conversions];
        if (value.Parameter is { } parameter)
        {
            // Inside PREPARE or a function body the placeholder is bound later, to a value the guard never sees.
            if (_unbound)
            {
                return;
            }

            var casts = string.Join(",", steps.Select(c => $"{c.Family}/{c.MaxLength}"));
            var key = $"{table}|{kind}|p|{parameter.Name}|{parameter.Position}|{casts}";
            if (_writeKeys.Add(key))
            {
                _writes.Add((key, new TenantValueCheck(target.Table, target.Column, kind, parameter, steps)));
            }

            return;
        }

        var constant = value.Constant;
        foreach (var cast in steps)
        {
            constant = constant.CastTo(cast);
        }

        constant = constant.AssignTo(target.Column);
        var constantKey = $"{table}|{kind}|c|{constant.Kind}|{constant}";
        if (constant.IsValid && _writeKeys.Add(constantKey))
        {
            _writes.Add((constantKey, new TenantValueCheck(target.Table, target.Column, kind, constant)));
        }
    }

    /// <summary>Parses [start, end) as a value the guard understands, optionally followed by a column label.</summary>
    private ValueExpression? ParseValue(int start, int end, bool label)
    {
        if (start >= end)
        {
            return null;
        }

        var value = ParseWhole(start, end, 0);
        if (value is not null || !label)
        {
            return value;
        }

        if (end - start >= 3 && _t.IsKeyword(end - 2, "as") && _t.IsName(end - 1))
        {
            return ParseWhole(start, end - 2, 0);
        }

        return end - start >= 2 && IsBareLabel(end - 1) ? ParseWhole(start, end - 1, 0) : null;
    }

    private ValueExpression? ParseWhole(int start, int end, int depth)
    {
        var i = start;
        var value = ParseCast(ref i, end, depth);
        return value is not null && i == end ? value : null;
    }

    /// <summary><c>[+|-] primary {:: type}</c>; a sign is only understood before an integer.</summary>
    private ValueExpression? ParseCast(ref int i, int end, int depth)
    {
        if (depth > MaxValueDepth || i >= end)
        {
            return null;
        }

        var negative = _t.IsOperator(i, "-");
        var signed = negative || _t.IsOperator(i, "+");
        if (signed)
        {
            i++;
        }

        var value = Primary(ref i, end, depth);
        if (value is null || (signed && !value.IsBareInteger))
        {
            return null;
        }

        if (negative)
        {
            value.Constant = PgValue.FromIntegerToken(_t.Text(value.IntegerToken), negative: true);
        }

        while (i < end && _t.Is(i, SqlTokenKind.DoubleColon))
        {
            i++;
            if (!TypeName(ref i, end, out var type))
            {
                return null;
            }

            value.Casts.Add(type);
        }

        return value;
    }

    private ValueExpression? Primary(ref int i, int end, int depth)
    {
        switch (_t.Kind(i))
        {
            case SqlTokenKind.OpenParen:
            {
                var close = _t.Partner(i);
                if (close >= end)
                {
                    return null;
                }

                var inner = ParseWhole(i + 1, close, depth + 1);
                i = close + 1;
                return inner;
            }

            case SqlTokenKind.Integer:
                return new ValueExpression { Constant = PgValue.FromIntegerToken(_t.Text(i), negative: false), IntegerToken = i++ };
            case SqlTokenKind.String or SqlTokenKind.EscapeString or SqlTokenKind.UnicodeString or SqlTokenKind.DollarString:
                return StringConstant(i++);
            case SqlTokenKind.NationalString:
            {
                // N'…' is a character (bpchar) constant.
                var national = StringConstant(i++);
                national?.Casts.Add(new PgType(PgTypeFamily.Bpchar));
                return national;
            }

            case SqlTokenKind.Named:
                return new ValueExpression { Parameter = new ParameterRef(_t.Text(i++)[1..].ToString(), 0) };
            case SqlTokenKind.Positional:
                if (!int.TryParse(_t.Text(i)[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var position))
                {
                    return null;
                }

                i++;
                return new ValueExpression { Parameter = new ParameterRef(null, position) };
            case SqlTokenKind.Identifier when _t.IsKeyword(i, "cast") && _t.Is(i + 1, SqlTokenKind.OpenParen):
                return Cast(ref i, end, depth);
            case SqlTokenKind.Identifier or SqlTokenKind.QuotedIdentifier:
            {
                // A typed constant: text 'acme', character varying(10) 'acme', uuid '…'.
                var j = i;
                if (!TypeName(ref j, end, out var type) || j >= end || !_t.IsStringConstant(j))
                {
                    return null;
                }

                var value = StringConstant(j);
                value?.Casts.Add(type);
                i = j + 1;
                return value;
            }

            default:
                return null;
        }
    }

    private ValueExpression? StringConstant(int i)
    {
        var text = SqlLiterals.DecodeString(_t, i);
        return text is null ? null : new ValueExpression { Constant = PgValue.Literal(text) };
    }

    /// <summary><c>CAST(value AS type)</c>.</summary>
    private ValueExpression? Cast(ref int i, int end, int depth)
    {
        var close = _t.Partner(i + 1);
        if (close >= end)
        {
            return null;
        }

        var @as = i + 2;
        while (@as < close && !_t.IsKeyword(@as, "as"))
        {
            @as = Skip(@as);
        }

        var value = @as < close ? ParseWhole(i + 2, @as, depth + 1) : null;
        var j = @as + 1;
        if (value is null || !TypeName(ref j, close, out var type) || j != close)
        {
            return null;
        }

        value.Casts.Add(type);
        value.IntegerToken = -1;
        i = close + 1;
        return value;
    }

    /// <summary>
    /// A type name: the guard tells text, <c>character varying(n)</c>, the integer types and <c>uuid</c> apart and
    /// reads everything else as <see cref="PgType.Other"/>, which makes the value unknown.
    /// </summary>
    private bool TypeName(ref int i, int end, out PgType type)
    {
        type = PgType.Other;
        if (i >= end)
        {
            return false;
        }

        if (_t.IsKeyword(i, "pg_catalog") && _t.Is(i + 1, SqlTokenKind.Dot) && _t.IsName(i + 2))
        {
            i += 2;
        }

        if (_t.Is(i, SqlTokenKind.QuotedIdentifier))
        {
            // Quoted, only the catalog's own names exist ("int4", not "integer").
            var quoted = _t.Name(i);
            type = quoted is "text" or "varchar" or "int2" or "int4" or "int8" or "uuid" or "bpchar" ? PgType.FromName(quoted) : PgType.Other;
            i++;
        }
        else if (_t.Kind(i) == SqlTokenKind.Identifier)
        {
            type = KeywordType(ref i);
            if (_t.Is(i, SqlTokenKind.Dot) && _t.IsName(i + 1))
            {
                type = PgType.Other;
                i += 2;
            }
        }
        else
        {
            return false;
        }

        if (_t.Is(i, SqlTokenKind.OpenParen) && _t.Partner(i) < end)
        {
            var close = _t.Partner(i);
            type = type.Family is PgTypeFamily.Text or PgTypeFamily.Bpchar && close == i + 2 && _t.Is(i + 1, SqlTokenKind.Integer)
                && int.TryParse(_t.Text(i + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var length) && length > 0
                ? type with { MaxLength = length }
                : PgType.Other;
            i = close + 1;
        }

        while (_t.Is(i, SqlTokenKind.OpenBracket) && _t.Partner(i) < end)
        {
            type = PgType.Other;
            i = _t.Partner(i) + 1;
        }

        return true;
    }

    private PgType KeywordType(ref int i)
    {
        if (_t.IsKeyword(i, "character") || _t.IsKeyword(i, "char") || _t.IsKeyword(i, "national"))
        {
            var national = _t.IsKeyword(i, "national");
            i += national && (_t.IsKeyword(i + 1, "character") || _t.IsKeyword(i + 1, "char")) ? 2 : 1;
            if (_t.IsKeyword(i, "varying"))
            {
                i++;
                return PgType.Text;
            }

            // character without a length is character(1); a length given in parentheses replaces it.
            return new PgType(PgTypeFamily.Bpchar, 1);
        }

        if (_t.IsKeyword(i, "double") && _t.IsKeyword(i + 1, "precision"))
        {
            i += 2;
            return PgType.Other;
        }

        var type = PgType.FromName(_t.Name(i)!);
        i++;
        return type;
    }

    private bool IsBareLabel(int i)
    {
        if (_t.Kind(i) is SqlTokenKind.QuotedIdentifier or SqlTokenKind.UnicodeIdentifier)
        {
            return true;
        }

        if (_t.Kind(i) != SqlTokenKind.Identifier)
        {
            return false;
        }

        foreach (var keyword in NotLabels)
        {
            if (_t.IsKeyword(i, keyword))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A value as written: a constant or a placeholder, and the casts applied to it in order.</summary>
    private sealed class ValueExpression
    {
        public PgValue Constant { get; set; }

        public ParameterRef? Parameter { get; init; }

        public List<PgType> Casts { get; } = [];

        /// <summary>The integer token a sign may apply to, or -1 once the value is more than a bare integer.</summary>
        public int IntegerToken { get; set; } = -1;

        public bool IsBareInteger => IntegerToken >= 0 && Casts.Count == 0;
    }
}
