using DapperTenants.Catalog;

namespace DapperTenants.Guard;

/// <summary>
/// Turns one SQL text into a <see cref="GuardPlan"/>: the tenant values each statement writes into protected tables
/// (constants, or placeholders read at execution), the statements that tamper with the tenant context or run SQL the
/// guard cannot see, and the statements that leave state in the session.
/// </summary>
/// <remarks>
/// <para>
/// Every statement gets two passes. The first reads its leading words and scans its tokens once for the calls that
/// matter (<c>set_config</c>, SQL-executing built-ins, session locks): it always runs to the end of the text, and it
/// finds every refusal. The second follows the statement's structure to the tenant values it writes; it is only kept
/// on a complete parse, and it spends a work budget (<see cref="Budget"/>) shared by the whole text: once spent, the
/// values of the remaining writes are left to the database's policies, which refuse a wrong tenant themselves.
/// </para>
/// <para>
/// Both passes are linear: brackets are matched once, and each construct is skipped by jumping to its partner. The
/// analysis stops at the first refusal that holds whatever the parameters (nothing after it can run), and before the
/// first statement whose brackets do not balance (a syntax error: neither it nor anything after it runs).
/// </para>
/// </remarks>
internal sealed partial class GuardAnalyzer
{
    /// <summary>
    /// How many tokens the structural pass may examine in one text, counting a token again for each nested construct
    /// that looks at it: about 1 MB of typical SQL.
    /// </summary>
    public const int Budget = 1_000_000;

    private const int MaxDepth = 16;

    // SQL inside a string inside a string …: deeper than this is refused where it would run.
    private const int MaxNesting = 3;

    private readonly SqlTokens _t;
    private readonly TenantCatalog _catalog;
    private readonly GuardOptions _options;
    private readonly string _setting;
    private readonly PlanSink _sink;
    private readonly int _nesting;
    private readonly List<(string Key, GuardCheck Check)> _writes = [];
    private readonly HashSet<string> _writeKeys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _prepared = new(StringComparer.Ordinal);
    private bool _failed;

    // Placeholders here are not the command's parameters: the body of PREPARE or CREATE FUNCTION, or SQL in a string.
    private bool _unbound;

    private GuardAnalyzer(SqlTokens tokens, TenantCatalog catalog, GuardOptions options, PlanSink sink, int nesting)
    {
        _t = tokens;
        _catalog = catalog;
        _options = options;
        _setting = options.Setting;
        _sink = sink;
        _nesting = nesting;
    }

    public static GuardPlan Analyze(string sql, TenantCatalog catalog, GuardOptions options, bool surfaceFailures = false) =>
        Analyze(SqlLexer.Tokenize(sql), catalog, options, surfaceFailures);

    /// <param name="tokens">The text.</param>
    /// <param name="catalog">The protected tables.</param>
    /// <param name="options">The setting and what may pass.</param>
    /// <param name="surfaceFailures">Whether the plan's checks throw their internal failures (tests) or skip them.</param>
    /// <param name="budget">The work budget of the structural pass; see <see cref="Budget"/>.</param>
    public static GuardPlan Analyze(SqlTokens tokens, TenantCatalog catalog, GuardOptions options, bool surfaceFailures = false, int budget = Budget)
    {
        var sink = new PlanSink(budget);
        new GuardAnalyzer(tokens, catalog, options, sink, nesting: 0).Run();
        return sink.Checks.Count == 0 ? GuardPlan.Pass : new GuardPlan([.. sink.Checks], surfaceFailures);
    }

    /// <summary>The refusal for a setting name given to <c>set_config</c>, or <see langword="null"/> when changing it is harmless.</summary>
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

        return IsLexingSetting(name) ? GuardMessages.ChangesLexing("set_config", $"set_config('{name.ToLowerInvariant()}', ...)", name.ToLowerInvariant()) : null;
    }

    /// <summary>Settings that change how PostgreSQL reads the text of later statements, which the guard reads with their defaults.</summary>
    private static bool IsLexingSetting(string name) =>
        name.Equals("standard_conforming_strings", StringComparison.OrdinalIgnoreCase) || name.Equals("client_encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("backslash_quote", StringComparison.OrdinalIgnoreCase);

    private void Run()
    {
        var end = _t.BalancedEnd;
        var start = 0;
        while (start < end && !_sink.Refused)
        {
            var stop = StatementEnd(start, end);
            if (stop > start)
            {
                TopLevel(start, stop);
            }

            start = stop + 1;
        }
    }

    /// <summary>The next <c>;</c> outside brackets and outside a <c>BEGIN ATOMIC … END</c> function body, or <paramref name="end"/>.</summary>
    private int StatementEnd(int i, int end)
    {
        var atomic = 0;
        while (i < end)
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

        return end;
    }

    private void TopLevel(int start, int end)
    {
        _failed = false;
        _writes.Clear();
        _writeKeys.Clear();
        _unbound = _nesting > 0 || IsCodeBody(start);

        // The complete pass: refusals never depend on the budget.
        Classify(start, end);
        if (_sink.Refused)
        {
            return;
        }

        ScanCalls(start, end);
        if (_sink.Refused)
        {
            return;
        }

        // The structural pass: the tenant values of writes, kept only on a complete parse within the budget.
        Statement(start, end, 0);
        if (_failed || _sink.Exhausted || !LexicallyValid(start, end))
        {
            return;
        }

        foreach (var (key, check) in _writes)
        {
            _sink.Add(key, check);
        }
    }

    private bool LexicallyValid(int start, int end)
    {
        for (var k = start; k < end; k++)
        {
            if (_t.Kind(k) is SqlTokenKind.Error or SqlTokenKind.Other)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Where placeholders are the parameters of something else: <c>PREPARE … AS</c>, <c>CREATE FUNCTION/PROCEDURE</c>.</summary>
    private bool IsCodeBody(int s)
    {
        if (_t.IsKeyword(s, "prepare"))
        {
            return !_t.IsKeyword(s + 1, "transaction");
        }

        if (!_t.IsKeyword(s, "create"))
        {
            return false;
        }

        var i = _t.IsKeyword(s + 1, "or") && _t.IsKeyword(s + 2, "replace") ? s + 3 : s + 1;
        return _t.IsKeyword(i, "function") || _t.IsKeyword(i, "procedure");
    }

    private void Statement(int s, int e, int depth)
    {
        if (depth > MaxDepth || !_sink.Spend(e - s))
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
            var inner = ExplainTarget(s, out var analyze);
            if (analyze)
            {
                Statement(inner, e, depth + 1);
            }
        }
        else if (_t.IsKeyword(s, "prepare") && PreparedBody(s, e) is var body and > 0)
        {
            Statement(body, e, depth + 1);
        }
        else if (_t.IsKeyword(s, "create") && IsCodeBody(s))
        {
            AtomicBody(s, e, depth);
        }
    }

    /// <summary>The statements of a SQL-standard routine body, <c>BEGIN ATOMIC stmt; … END</c>, as written.</summary>
    private void AtomicBody(int s, int e, int depth)
    {
        for (var k = s; k < e; k = Skip(k))
        {
            if (!(_t.IsKeyword(k, "begin") && _t.IsKeyword(k + 1, "atomic")))
            {
                continue;
            }

            var start = k + 2;
            for (var j = start; j < e; j = Skip(j))
            {
                if (_t.Is(j, SqlTokenKind.Semicolon))
                {
                    Statement(start, j, depth + 1);
                    start = j + 1;
                }
            }

            return;
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

    /// <summary>The item at <paramref name="position"/> of the comma-separated items of [start, end), without a list.</summary>
    private (int Start, int End)? Item(int start, int end, int position)
    {
        var a = start;
        var i = start;
        var index = 0;
        while (i < end)
        {
            if (_t.Is(i, SqlTokenKind.Comma))
            {
                if (index == position)
                {
                    return (a, i);
                }

                index++;
                a = i + 1;
            }

            i = Skip(i);
        }

        return index == position && end > start ? (a, end) : null;
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

    private void Refuse(RefusalCheck refusal) => _sink.Add(refusal);

    private sealed record WriteTarget(ProtectedTable Table, PgType Column);
}
