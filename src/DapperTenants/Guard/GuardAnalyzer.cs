using DapperTenants.Catalog;

namespace DapperTenants.Guard;

/// <summary>
/// Turns one SQL text into a <see cref="GuardPlan"/>: the tenant values each statement writes into protected tables
/// (constants, or placeholders read at execution) and the statements that tamper with the tenant context.
/// </summary>
/// <remarks>
/// A statement is only judged on a complete parse: when any part of it does not have the expected shape, none of
/// its write checks are kept and the database decides. Parsing is linear: brackets are matched once, and each
/// construct is skipped by jumping to its partner.
/// </remarks>
internal sealed partial class GuardAnalyzer
{
    private const int MaxDepth = 16;

    private readonly SqlTokens _t;
    private readonly TenantCatalog _catalog;
    private readonly string _setting;
    private readonly List<GuardCheck> _plan = [];
    private readonly HashSet<string> _planKeys = new(StringComparer.Ordinal);
    private readonly List<(string Key, GuardCheck Check)> _writes = [];
    private bool _failed;

    private GuardAnalyzer(SqlTokens tokens, TenantCatalog catalog, string setting)
    {
        _t = tokens;
        _catalog = catalog;
        _setting = setting;
    }

    public static GuardPlan Analyze(string sql, TenantCatalog catalog, string setting) => Analyze(SqlLexer.Tokenize(sql), catalog, setting);

    public static GuardPlan Analyze(SqlTokens tokens, TenantCatalog catalog, string setting)
    {
        // Unbalanced brackets, or a ';' inside them, are a syntax error for PostgreSQL: nothing in the text runs.
        if (tokens.Count == 0 || !tokens.Balanced)
        {
            return GuardPlan.Pass;
        }

        var analyzer = new GuardAnalyzer(tokens, catalog, setting);
        analyzer.Run();
        return analyzer._plan.Count == 0 ? GuardPlan.Pass : new GuardPlan([.. analyzer._plan]);
    }

    /// <summary>The refusal for a <c>set_config</c> setting name, or <see langword="null"/> when changing it is harmless.</summary>
    public static RefusalCheck? RefuseSettingName(string name, string setting)
    {
        if (name.Equals(setting, StringComparison.OrdinalIgnoreCase))
        {
            return GuardMessages.ChangesSetting("set_config", $"set_config('{setting}', ...)", setting);
        }

        if (name.Equals("role", StringComparison.OrdinalIgnoreCase) || name.Equals("session_authorization", StringComparison.OrdinalIgnoreCase))
        {
            return GuardMessages.ChangesRole("set_config", $"set_config('{name.ToLowerInvariant()}', ...)");
        }

        return null;
    }

    private void Run()
    {
        var start = 0;
        while (start < _t.Count)
        {
            var end = StatementEnd(start);
            if (end > start)
            {
                TopLevel(start, end);
            }

            start = end + 1;
        }
    }

    /// <summary>The next <c>;</c> outside brackets and outside a <c>BEGIN ATOMIC … END</c> function body.</summary>
    private int StatementEnd(int i)
    {
        var atomic = 0;
        while (i < _t.Count)
        {
            switch (_t.Kind(i))
            {
                case SqlTokenKind.OpenParen or SqlTokenKind.OpenBracket:
                    i = _t.Partner(i) + 1;
                    continue;
                case SqlTokenKind.Semicolon when atomic == 0:
                    return i;
                case SqlTokenKind.Identifier when atomic == 0:
                    if (_t.IsKeyword(i, "begin") && _t.IsKeyword(i + 1, "atomic"))
                    {
                        atomic = 1;
                        i++;
                    }

                    break;
                case SqlTokenKind.Identifier:
                    if (_t.IsKeyword(i, "case"))
                    {
                        atomic++;
                    }
                    else if (_t.IsKeyword(i, "end"))
                    {
                        atomic--;
                    }

                    break;
            }

            i++;
        }

        return _t.Count;
    }

    private void TopLevel(int start, int end)
    {
        _failed = false;
        _writes.Clear();
        var lexicallyValid = true;
        for (var k = start; k < end; k++)
        {
            if (_t.Kind(k) is SqlTokenKind.Error or SqlTokenKind.Other)
            {
                lexicallyValid = false;
            }
        }

        ScanSetConfig(start, end);
        Statement(start, end, 0);
        if (_failed || !lexicallyValid)
        {
            return;
        }

        foreach (var (key, check) in _writes)
        {
            if (_planKeys.Add(key))
            {
                _plan.Add(check);
            }
        }
    }

    private void Statement(int s, int e, int depth)
    {
        if (depth > MaxDepth)
        {
            _failed = true;
            return;
        }

        if (s >= e || _t.Kind(s) != SqlTokenKind.Identifier)
        {
            return;
        }

        if (_t.IsKeyword(s, "with"))
        {
            With(s, e, depth);
        }
        else if (_t.IsKeyword(s, "insert"))
        {
            Insert(s, e, depth);
        }
        else if (_t.IsKeyword(s, "update"))
        {
            Update(s, e);
        }
        else if (_t.IsKeyword(s, "merge"))
        {
            Merge(s, e);
        }
        else if (_t.IsKeyword(s, "explain"))
        {
            Explain(s, e, depth);
        }
        else if (depth == 0)
        {
            Tamper(s, e);
        }
    }

    /// <summary><c>WITH [RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED] (statement) [SEARCH …] [CYCLE …], … main</c>.</summary>
    private void With(int s, int e, int depth)
    {
        var i = SkipWith(s, e, depth + 1, analyze: true);
        if (i < 0 || i >= e)
        {
            _failed = true;
            return;
        }

        Statement(i, e, depth + 1);
    }

    /// <summary>Returns the index of the main statement after a WITH clause, or -1; analyzes the bodies when asked.</summary>
    private int SkipWith(int s, int e, int depth, bool analyze)
    {
        var i = s + 1;
        if (_t.IsKeyword(i, "recursive"))
        {
            i++;
        }

        while (true)
        {
            if (!_t.IsName(i) || i >= e)
            {
                return -1;
            }

            i++;
            if (_t.Is(i, SqlTokenKind.OpenParen))
            {
                i = _t.Partner(i) + 1;
            }

            if (!_t.IsKeyword(i, "as"))
            {
                return -1;
            }

            i++;
            if (_t.IsKeyword(i, "not"))
            {
                i++;
            }

            if (_t.IsKeyword(i, "materialized"))
            {
                i++;
            }

            if (!_t.Is(i, SqlTokenKind.OpenParen) || _t.Partner(i) >= e)
            {
                return -1;
            }

            var close = _t.Partner(i);
            if (analyze)
            {
                Statement(i + 1, close, depth);
            }

            i = close + 1;
            if (_t.IsKeyword(i, "search") || _t.IsKeyword(i, "cycle"))
            {
                while (i < e && !_t.Is(i, SqlTokenKind.Comma) && !IsQueryStart(i))
                {
                    i = Skip(i);
                }
            }

            if (!_t.Is(i, SqlTokenKind.Comma))
            {
                return i;
            }

            i++;
        }
    }

    /// <summary><c>EXPLAIN ANALYZE</c> runs its statement; plain <c>EXPLAIN</c> does not.</summary>
    private void Explain(int s, int e, int depth)
    {
        var i = s + 1;
        var analyze = false;
        if (_t.Is(i, SqlTokenKind.OpenParen))
        {
            var close = _t.Partner(i);
            foreach (var (a, b) in SplitCommas(i + 1, close))
            {
                if (_t.IsKeyword(a, "analyze") || _t.IsKeyword(a, "analyse"))
                {
                    analyze = a + 1 >= b || !(_t.IsKeyword(a + 1, "false") || _t.IsKeyword(a + 1, "off") || _t.Text(a + 1).SequenceEqual("0"));
                }
            }

            i = close + 1;
        }
        else
        {
            while (_t.IsKeyword(i, "analyze") || _t.IsKeyword(i, "analyse") || _t.IsKeyword(i, "verbose"))
            {
                analyze |= !_t.IsKeyword(i, "verbose");
                i++;
            }
        }

        if (analyze)
        {
            Statement(i, e, depth + 1);
        }
    }

    private bool IsQueryStart(int i) =>
        _t.Is(i, SqlTokenKind.OpenParen) || _t.IsKeyword(i, "select") || _t.IsKeyword(i, "insert") || _t.IsKeyword(i, "update")
        || _t.IsKeyword(i, "delete") || _t.IsKeyword(i, "merge") || _t.IsKeyword(i, "values") || _t.IsKeyword(i, "table")
        || _t.IsKeyword(i, "with");

    /// <summary>The token after the one at <paramref name="i"/>, jumping over a whole bracketed group.</summary>
    private int Skip(int i) => _t.Kind(i) is SqlTokenKind.OpenParen or SqlTokenKind.OpenBracket ? _t.Partner(i) + 1 : i + 1;

    /// <summary>The comma-separated items of [start, end), split outside brackets.</summary>
    private List<(int Start, int End)> SplitCommas(int start, int end)
    {
        var items = new List<(int, int)>();
        var a = start;
        var i = start;
        while (i < end)
        {
            if (_t.Is(i, SqlTokenKind.Comma))
            {
                items.Add((a, i));
                a = i + 1;
            }

            i = Skip(i);
        }

        if (end > start)
        {
            items.Add((a, end));
        }

        return items;
    }

    /// <summary><c>name</c>, <c>schema.name</c> or <c>database.schema.name</c>.</summary>
    private bool QualifiedName(ref int i, out string? schema, out string name)
    {
        schema = null;
        name = string.Empty;
        if (!_t.IsName(i))
        {
            return false;
        }

        var first = _t.Name(i)!;
        i++;
        if (!(_t.Is(i, SqlTokenKind.Dot) && _t.IsName(i + 1)))
        {
            name = first;
            return true;
        }

        var second = _t.Name(i + 1)!;
        i += 2;
        if (_t.Is(i, SqlTokenKind.Dot) && _t.IsName(i + 1))
        {
            schema = second;
            name = _t.Name(i + 1)!;
            i += 2;
            return true;
        }

        schema = first;
        name = second;
        return true;
    }

    /// <summary>The protected table a write goes to, when the guard can compare its tenant values.</summary>
    private WriteTarget? Target(string? schema, string name)
    {
        if (_catalog.Find(schema, name) is not { } table)
        {
            return null;
        }

        var type = PgType.FromCatalog(table.TenantType);
        return type.Family == PgTypeFamily.Other ? null : new WriteTarget(table, type);
    }

    private sealed record WriteTarget(ProtectedTable Table, PgType Column);
}
