using DapperTenants.Guard;

namespace DapperTenants.Audit;

/// <summary>
/// Reads a policy expression as <c>pg_get_expr</c> prints it (fully parenthesized, casts as <c>(x)::type</c>) with the
/// guard's lexer. Anything it does not know becomes a <see cref="PolicyExpression.Opaque"/>, never a guess.
/// </summary>
internal sealed class PolicyExpressionParser
{
    private static readonly HashSet<string> Comparisons = new(StringComparer.Ordinal) { "=", "<>", "!=", "<", ">", "<=", ">=", "~~", "!~~", "~~*", "!~~*" };

    // Words that end a type name or an operand: the parser never reads them as names.
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "and", "or", "not", "is", "in", "as", "from", "where", "then", "else", "end", "when", "like", "ilike", "similar", "between",
        "collate", "any", "all", "some", "escape", "isnull", "notnull", "overlaps", "at", "group", "order", "having", "limit", "union",
    };

    private readonly SqlTokens _tokens;
    private readonly Dictionary<PolicyExpression, string> _texts = new(ReferenceEqualityComparer.Instance);
    private int _i;

    private PolicyExpressionParser(string text) => _tokens = SqlLexer.Tokenize(text);

    /// <summary>The expression read from <paramref name="text"/>; an <see cref="PolicyExpression.Opaque"/> when it cannot be read whole.</summary>
    public static ParsedExpression Parse(string text)
    {
        var parser = new PolicyExpressionParser(text);
        try
        {
            if (parser._tokens.Balanced && parser._tokens.Count > 0)
            {
                var root = parser.ParseOr();
                if (parser._i == parser._tokens.Count)
                {
                    return new ParsedExpression(root, parser._texts);
                }
            }
        }
        catch (FormatException)
        {
            // Falls through: what cannot be read whole is opaque.
        }

        var opaque = new PolicyExpression.Opaque("an expression the audit cannot read", text.Trim(), parser.NamesIn(0, parser._tokens.Count), false);
        return new ParsedExpression(opaque, new Dictionary<PolicyExpression, string>(ReferenceEqualityComparer.Instance) { [opaque] = opaque.Text });
    }

    private PolicyExpression ParseOr()
    {
        var start = _i;
        var terms = new List<PolicyExpression> { ParseAnd() };
        while (Keyword("or"))
        {
            _i++;
            terms.Add(ParseAnd());
        }

        return terms.Count == 1 ? terms[0] : Record(new PolicyExpression.Or(Flatten<PolicyExpression.Or>(terms, o => o.Terms)), start);
    }

    private PolicyExpression ParseAnd()
    {
        var start = _i;
        var terms = new List<PolicyExpression> { ParseNot() };
        while (Keyword("and"))
        {
            _i++;
            terms.Add(ParseNot());
        }

        return terms.Count == 1 ? terms[0] : Record(new PolicyExpression.And(Flatten<PolicyExpression.And>(terms, a => a.Terms)), start);
    }

    private PolicyExpression ParseNot()
    {
        var start = _i;
        if (Keyword("not"))
        {
            _i++;
            return Record(new PolicyExpression.Not(ParseNot()), start);
        }

        return ParseIs();
    }

    private PolicyExpression ParseIs()
    {
        var start = _i;
        var operand = ParseComparison();
        while (Keyword("is"))
        {
            _i++;
            var negated = Keyword("not");
            if (negated)
            {
                _i++;
            }

            if (Keyword("null"))
            {
                _i++;
                operand = Record(new PolicyExpression.NullTest(operand, !negated), start);
            }
            else if (Keyword("distinct") && _tokens.IsKeyword(_i + 1, "from"))
            {
                _i += 2;
                operand = Record(new PolicyExpression.Binary(negated ? "IS NOT DISTINCT FROM" : "IS DISTINCT FROM", operand, ParseComparison()), start);
            }
            else if (Keyword("true") || Keyword("false") || Keyword("unknown"))
            {
                var what = _tokens.Name(_i)!.ToUpperInvariant();
                _i++;
                operand = Record(new PolicyExpression.Binary(negated ? "IS NOT" : "IS", operand, new PolicyExpression.Constant(what.ToLowerInvariant(), false)), start);
            }
            else
            {
                throw new FormatException();
            }
        }

        return operand;
    }

    private PolicyExpression ParseComparison()
    {
        var start = _i;
        var left = ParseOperators();
        if (_tokens.Is(_i, SqlTokenKind.Operator) && Comparisons.Contains(_tokens.Text(_i).ToString()))
        {
            var op = _tokens.Text(_i).ToString();
            _i++;
            if ((Keyword("any") || Keyword("all") || Keyword("some")) && _tokens.Is(_i + 1, SqlTokenKind.OpenParen))
            {
                var quantifier = _tokens.Name(_i)!.ToUpperInvariant();
                _i++;
                return Record(new PolicyExpression.Binary($"{op} {quantifier}", left, ParsePrimary()), start);
            }

            return Record(new PolicyExpression.Binary(op, left, ParseOperators()), start);
        }

        var notIn = Keyword("not") && _tokens.IsKeyword(_i + 1, "in");
        if (Keyword("in") || notIn)
        {
            _i += notIn ? 2 : 1;
            var list = Bracketed(notIn ? "NOT IN (…)" : "IN (…)");
            return Record(new PolicyExpression.Binary(notIn ? "NOT IN" : "IN", left, list), start);
        }

        return left;
    }

    /// <summary>Operators other than comparisons (<c>||</c>, <c>-&gt;&gt;</c>, <c>+</c>), left to right.</summary>
    private PolicyExpression ParseOperators()
    {
        var start = _i;
        var left = ParseUnary();
        while (_tokens.Is(_i, SqlTokenKind.Operator) && !Comparisons.Contains(_tokens.Text(_i).ToString()))
        {
            var op = _tokens.Text(_i).ToString();
            _i++;
            left = Record(new PolicyExpression.Binary(op, left, ParseUnary()), start);
        }

        return left;
    }

    private PolicyExpression ParseUnary()
    {
        var start = _i;
        if (_tokens.Is(_i, SqlTokenKind.Operator) && _tokens.Text(_i) is "-" or "+")
        {
            var op = _tokens.Text(_i).ToString();
            _i++;
            return Record(new PolicyExpression.Binary(op, new PolicyExpression.Constant("0", false), ParseUnary()), start);
        }

        var operand = ParsePrimary();
        while (true)
        {
            if (_tokens.Is(_i, SqlTokenKind.DoubleColon))
            {
                _i++;
                operand = Record(new PolicyExpression.Cast(operand, TypeName()), start);
            }
            else if (Keyword("collate"))
            {
                _i++;
                QualifiedName();
            }
            else if (_tokens.Is(_i, SqlTokenKind.OpenBracket))
            {
                var close = _tokens.Partner(_i);
                operand = Record(Opaque("a subscript", start, close + 1, inSubSelect: false), start);
                _i = close + 1;
            }
            else
            {
                return operand;
            }
        }
    }

    private PolicyExpression ParsePrimary()
    {
        var start = _i;
        var kind = _tokens.Kind(_i);
        switch (kind)
        {
            case SqlTokenKind.OpenParen when _tokens.IsKeyword(_i + 1, "select"):
                return SubSelect();
            case SqlTokenKind.OpenParen:
                var close = _tokens.Partner(_i);
                _i++;
                var inner = ParseOr();
                if (_i != close)
                {
                    throw new FormatException();
                }

                _i++;
                _texts.TryAdd(inner, Span(start, _i));
                return inner;
            case SqlTokenKind.String or SqlTokenKind.EscapeString or SqlTokenKind.UnicodeString or SqlTokenKind.DollarString:
                _i++;
                return Record(new PolicyExpression.Constant(SqlLiterals.DecodeString(_tokens, start) ?? throw new FormatException(), true), start);
            case SqlTokenKind.Integer or SqlTokenKind.Numeric:
                _i++;
                return Record(new PolicyExpression.Constant(_tokens.Text(start).ToString(), false), start);
            case SqlTokenKind.Identifier when Keyword("true") || Keyword("false"):
                _i++;
                return Record(new PolicyExpression.Constant(_tokens.Name(start), false), start);
            case SqlTokenKind.Identifier when Keyword("null"):
                _i++;
                return Record(new PolicyExpression.Constant(null, false), start);
            case SqlTokenKind.Identifier when Keyword("current_user") || Keyword("session_user") || Keyword("current_role") || Keyword("user"):
                _i++;
                return Record(new PolicyExpression.RoleName(_tokens.Name(start)!.ToUpperInvariant()), start);
            case SqlTokenKind.Identifier when Keyword("exists") && _tokens.Is(_i + 1, SqlTokenKind.OpenParen):
                _i++;
                var exists = Bracketed("EXISTS (sub-select)");
                return Record(exists with { Text = Span(start, _i) }, start);
            case SqlTokenKind.Identifier when Keyword("case"):
                return Case();
            case SqlTokenKind.Identifier when Keyword("array") && _tokens.Is(_i + 1, SqlTokenKind.OpenBracket):
                var end = _tokens.Partner(_i + 1) + 1;
                var array = Opaque("an array", start, end, inSubSelect: false);
                _i = end;
                return Record(array, start);
            default:
                if (!_tokens.IsName(_i) || (kind == SqlTokenKind.Identifier && StopWords.Contains(_tokens.Name(_i)!)))
                {
                    throw new FormatException();
                }

                var name = QualifiedName();
                if (_tokens.Is(_i, SqlTokenKind.OpenParen))
                {
                    return Record(new PolicyExpression.Call(string.Join('.', name), Arguments()), start);
                }

                if (name.Count == 1 && _tokens.Is(_i, SqlTokenKind.Dot) && _tokens.IsOperator(_i + 1, "*"))
                {
                    // pg_get_expr prints a whole-row reference as t.*: every column of the row, the tenant column included.
                    _i += 2;
                    return Record(new PolicyExpression.Column(name[0], PolicyExpression.WholeRow), start);
                }

                return Record(name.Count switch
                {
                    1 => new PolicyExpression.Column(null, name[0]),
                    2 => new PolicyExpression.Column(name[0], name[1]),
                    _ => throw new FormatException(),
                }, start);
        }
    }

    /// <summary><c>( SELECT value AS alias)</c> is the value; a sub-select with more (FROM, WHERE) is opaque.</summary>
    private PolicyExpression SubSelect()
    {
        var start = _i;
        var close = _tokens.Partner(_i);
        var saved = _i;
        _i += 2;
        try
        {
            var value = ParseOr();
            if (Keyword("as") && _tokens.IsName(_i + 1))
            {
                _i += 2;
            }

            if (_i == close)
            {
                _i++;
                return Record(new PolicyExpression.ScalarSelect(value), start);
            }
        }
        catch (FormatException)
        {
            // A sub-select the expression grammar does not cover: opaque below.
        }

        _i = saved;
        return Bracketed("a sub-select");
    }

    private PolicyExpression.Opaque Bracketed(string what)
    {
        if (!_tokens.Is(_i, SqlTokenKind.OpenParen))
        {
            throw new FormatException();
        }

        var start = _i;
        var close = _tokens.Partner(_i);
        _i = close + 1;
        var opaque = Opaque(what, start, close + 1, _tokens.IsKeyword(start + 1, "select"));
        _texts.TryAdd(opaque, opaque.Text);
        return opaque;
    }

    private PolicyExpression Case()
    {
        var start = _i;
        var depth = 0;
        for (; _i < _tokens.Count; _i++)
        {
            if (Keyword("case"))
            {
                depth++;
            }
            else if (Keyword("end") && --depth == 0)
            {
                _i++;
                return Record(Opaque("a CASE expression", start, _i, inSubSelect: false), start);
            }
        }

        throw new FormatException();
    }

    private List<PolicyExpression> Arguments()
    {
        var close = _tokens.Partner(_i);
        _i++;
        var arguments = new List<PolicyExpression>();
        while (_i < close)
        {
            arguments.Add(ParseOr());
            if (_tokens.Is(_i, SqlTokenKind.Comma))
            {
                _i++;
            }
            else if (_i != close)
            {
                throw new FormatException();
            }
        }

        _i = close + 1;
        return arguments;
    }

    private List<string> QualifiedName()
    {
        var parts = new List<string> { _tokens.Name(_i) ?? throw new FormatException() };
        _i++;
        while (_tokens.Is(_i, SqlTokenKind.Dot) && _tokens.IsName(_i + 1))
        {
            parts.Add(_tokens.Name(_i + 1)!);
            _i += 2;
        }

        return parts;
    }

    /// <summary>A type as the deparser prints it: words (<c>character varying</c>), a modifier, array brackets.</summary>
    private string TypeName()
    {
        var start = _i;
        while (_tokens.IsName(_i) && !(_tokens.Is(_i, SqlTokenKind.Identifier) && StopWords.Contains(_tokens.Name(_i)!)))
        {
            _i++;
            if (_tokens.Is(_i, SqlTokenKind.Dot))
            {
                _i++;
            }
        }

        if (_i == start)
        {
            throw new FormatException();
        }

        var end = _i;
        if (_tokens.Is(_i, SqlTokenKind.OpenParen))
        {
            _i = _tokens.Partner(_i) + 1;
        }

        while (_tokens.Is(_i, SqlTokenKind.OpenBracket))
        {
            _i = _tokens.Partner(_i) + 1;
        }

        return string.Join(' ', Enumerable.Range(start, end - start).Where(k => _tokens.IsName(k)).Select(k => _tokens.Name(k)));
    }

    private PolicyExpression.Opaque Opaque(string what, int start, int end, bool inSubSelect) => new(what, Span(start, end), NamesIn(start, end), inSubSelect);

    private List<(string? Qualifier, string Name)> NamesIn(int start, int end)
    {
        var names = new List<(string?, string)>();
        for (var k = start; k < end; k++)
        {
            if (!_tokens.IsName(k) || _tokens.Is(k - 1, SqlTokenKind.Dot))
            {
                continue;
            }

            if (_tokens.Is(k + 1, SqlTokenKind.Dot) && _tokens.IsName(k + 2))
            {
                names.Add((_tokens.Name(k), _tokens.Name(k + 2)!));
            }
            else if (_tokens.Is(k + 1, SqlTokenKind.Dot) && _tokens.IsOperator(k + 2, "*"))
            {
                names.Add((_tokens.Name(k), PolicyExpression.WholeRow));
            }
            else
            {
                names.Add((null, _tokens.Name(k)!));
            }
        }

        return names;
    }

    private bool Keyword(string keyword) => _tokens.IsKeyword(_i, keyword);

    private string Span(int start, int end) =>
        end <= start ? string.Empty : _tokens.Sql[_tokens[start].Start.._tokens[end - 1].End];

    private PolicyExpression Record(PolicyExpression expression, int start)
    {
        _texts.TryAdd(expression, Span(start, _i));
        return expression;
    }

    private static List<PolicyExpression> Flatten<T>(List<PolicyExpression> terms, Func<T, IReadOnlyList<PolicyExpression>> inner)
        where T : PolicyExpression =>
        [.. terms.SelectMany(t => t is T nested ? inner(nested) : [t])];
}

/// <summary>A parsed policy expression and the text each of its parts was read from.</summary>
internal sealed record ParsedExpression(PolicyExpression Root, IReadOnlyDictionary<PolicyExpression, string> Texts)
{
    /// <summary>The text <paramref name="expression"/> was read from, without the parentheses around the whole.</summary>
    public string TextOf(PolicyExpression expression)
    {
        var text = Texts.TryGetValue(expression, out var t) ? t : expression.ToString() ?? string.Empty;
        while (text.Length > 1 && text[0] == '(' && text[^1] == ')' && Balanced(text[1..^1]))
        {
            text = text[1..^1].Trim();
        }

        return text;
    }

    private static bool Balanced(string text)
    {
        var depth = 0;
        foreach (var c in text)
        {
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            if (depth < 0)
            {
                return false;
            }
        }

        return depth == 0;
    }
}
