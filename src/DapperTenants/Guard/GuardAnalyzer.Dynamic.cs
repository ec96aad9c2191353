namespace DapperTenants.Guard;

/// <summary>
/// SQL the guard cannot read as statements: <c>DO</c> blocks, code created on the connection, and built-ins that run
/// a query text. Refused unless <see cref="GuardOptions.AllowDynamicSql"/>; a query given as a string constant is
/// read as SQL and judged like any statement.
/// </summary>
internal sealed partial class GuardAnalyzer
{
    /// <summary><c>DO [LANGUAGE l] 'body' [LANGUAGE l]</c>.</summary>
    private void DoBlock(int s, int e)
    {
        if (!_options.AllowDynamicSql)
        {
            Refuse(GuardMessages.DoBlock(_setting));
            return;
        }

        if (BodySuspect(s + 1, e) is { } suspect)
        {
            Refuse(GuardMessages.DoBlockMentions(suspect, _setting));
        }
    }

    /// <summary><c>CREATE [OR REPLACE] {FUNCTION | PROCEDURE | TRIGGER | RULE | …}</c>.</summary>
    private void CreateCode(string kind, int s, int e)
    {
        if (!_options.AllowDynamicSql)
        {
            Refuse(GuardMessages.CreatesCode(kind, _setting));
            return;
        }

        CodeSettings(kind, s, e);
        if (!_sink.Refused && kind is "CREATE FUNCTION" or "CREATE PROCEDURE" && BodySuspect(s + 1, e) is { } suspect)
        {
            Refuse(GuardMessages.BodyMentions(kind, suspect, _setting));
        }
    }

    /// <summary><c>ALTER {FUNCTION | PROCEDURE | ROUTINE | AGGREGATE | EXTENSION} …</c>: changes how existing code runs.</summary>
    private void AlterCode(int s, int e)
    {
        var kind = "ALTER " + _t.Text(s + 1).ToString().ToUpperInvariant();
        if (!_options.AllowDynamicSql)
        {
            Refuse(GuardMessages.CreatesCode(kind, _setting));
            return;
        }

        CodeSettings(kind, s, e);
    }

    /// <summary>
    /// <c>… SET name {TO | =} …</c> in a routine's definition: the routine changes the setting while it runs, so one that
    /// sets the tenant setting reads and writes another tenant's rows, whatever the options.
    /// </summary>
    private void CodeSettings(string kind, int s, int e)
    {
        for (var k = s + 2; k < e; k = Skip(k))
        {
            if (!_t.IsKeyword(k, "set") || SettingName(k + 1) is not { } name || !IsProtectedSetting(name))
            {
                continue;
            }

            var shownAs = $"{kind} ... SET {name.ToLowerInvariant()}";
            Refuse(name.Equals(_setting, StringComparison.OrdinalIgnoreCase) ? GuardMessages.ChangesSetting(kind, shownAs, _setting)
                : IsLexingSetting(name) ? GuardMessages.ChangesLexing(kind, shownAs, name.ToLowerInvariant())
                : GuardMessages.ChangesRole(kind, shownAs));
            return;
        }
    }

    /// <summary>A call of a built-in that runs SQL: its query texts must be string constants, which are analyzed as SQL.</summary>
    private void DynamicCall(int k, Call call, List<(string? Name, int Start, int End)> arguments)
    {
        var function = (_t.Name(k) ?? string.Empty).ToLowerInvariant();
        switch (call)
        {
            case Call.Hidden:
                if (!_options.AllowDynamicSql)
                {
                    var what = function == "cursor_to_xml" ? "the query of a cursor"
                        : function.StartsWith("dblink", StringComparison.Ordinal) ? "SQL on another connection"
                        : "a query built from its arguments";
                    Refuse(GuardMessages.RunsHiddenSql(function, what, _setting));
                }

                return;
            case Call.QueryFirst:
                QueryArgument(function, Argument(arguments, 0, "query"));
                return;
            case Call.QuerySecond when arguments.Count == 2:
                // ts_rewrite(query tsquery, select text); the three-argument form runs nothing.
                QueryArgument(function, Argument(arguments, 1, null));
                return;
            case Call.Crosstab:
                QueryArgument(function, Argument(arguments, 0, null));
                if (Argument(arguments, 1, null) is { } second && !(second.End == second.Start + 1 && _t.Is(second.Start, SqlTokenKind.Integer)))
                {
                    QueryArgument(function, second);
                }

                return;
        }
    }

    /// <summary><c>(expr).ts_stat</c>: a call whose argument the guard does not read as a constant.</summary>
    private void AttributeCall(Call call)
    {
        if (call == Call.SessionLock)
        {
            Session(GuardMessages.SessionLock);
        }
        else if (!_options.AllowDynamicSql)
        {
            Refuse(GuardMessages.RunsQueryText("ts_stat", _setting));
        }
    }

    private void QueryArgument(string function, (int Start, int End)? range)
    {
        var value = range is { } r ? ParseValue(r.Start, r.End, label: false) : null;
        var text = value is { Parameter: null } && value.Casts.TrueForAll(c => c.Family == PgTypeFamily.Text && c.MaxLength < 0)
            && value.Constant.Kind == PgValueKind.Literal
            ? value.Constant.ToString()
            : null;
        if (text is null)
        {
            if (!_options.AllowDynamicSql)
            {
                Refuse(GuardMessages.RunsQueryText(function, _setting));
            }

            return;
        }

        if (_nesting >= MaxNesting)
        {
            if (!_options.AllowDynamicSql)
            {
                Refuse(GuardMessages.NestedTooDeep(function, MaxNesting));
            }

            return;
        }

        // The query runs in this session and transaction: its statements are judged like the command's own.
        new GuardAnalyzer(SqlLexer.Tokenize(text), _catalog, _options, _sink, _nesting + 1).Run();
    }

    /// <summary>
    /// Where <c>DO</c> blocks and functions are allowed, what their body mentions that could change the tenant context:
    /// the tenant setting, <c>set_config</c>, a role or session change, <c>RESET</c>, <c>DISCARD ALL</c>, row-level
    /// security or a policy, <c>pg_settings</c>, a built-in that runs SQL, or a string that is itself such a statement
    /// (what PL/pgSQL's EXECUTE would run). The body is lexed: words inside its other strings and comments do not count.
    /// SQL built by concatenation at run time cannot be seen.
    /// </summary>
    private string? BodySuspect(int s, int e)
    {
        for (var k = s; k < e; k++)
        {
            if (_t.IsStringConstant(k) && SqlLiterals.DecodeString(_t, k) is { } body && BodySuspect(body, _nesting) is { } suspect)
            {
                return suspect;
            }
        }

        return null;
    }

    private string? BodySuspect(string body, int nesting)
    {
        if (body.Contains(_setting, StringComparison.OrdinalIgnoreCase))
        {
            return _setting;
        }

        var t = SqlLexer.Tokenize(body);
        for (var i = 0; i < t.Count; i++)
        {
            if (t.IsStringConstant(i))
            {
                if (SqlLiterals.DecodeString(t, i) is { } text && StringSuspect(text, nesting) is { } inString)
                {
                    return inString;
                }

                continue;
            }

            if (WordSuspect(t, i) is { } word)
            {
                return word;
            }
        }

        return null;
    }

    private static string? WordSuspect(SqlTokens t, int i)
    {
        if (t.Kind(i) != SqlTokenKind.Identifier)
        {
            return t.IsName(i) && t.Name(i) is "set_config" or "pg_settings" ? t.Name(i) : null;
        }

        foreach (var word in SuspectWords)
        {
            if (t.IsKeyword(i, word))
            {
                return word;
            }
        }

        var next = i + 1 < t.Count && t.Kind(i + 1) == SqlTokenKind.Identifier ? t.Name(i + 1) : null;
        return t.IsKeyword(i, "set") && next is "role" or "session" or "local" ? "set " + next
            : t.IsKeyword(i, "session") && next == "authorization" ? "session authorization"
            : t.IsKeyword(i, "reset") ? "reset"
            : t.IsKeyword(i, "discard") && next == "all" ? "discard all"
            : t.IsKeyword(i, "row") && next == "level" && i + 2 < t.Count && t.IsKeyword(i + 2, "security") ? "row level security"
            : (t.IsKeyword(i, "create") || t.IsKeyword(i, "alter") || t.IsKeyword(i, "drop")) && next == "policy" ? "policy"
            : null;
    }

    private static readonly string[] SuspectWords =
    [
        "set_config", "pg_settings", "session_authorization", "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema", "ts_stat",
        "ts_rewrite", "cursor_to_xml", "standard_conforming_strings", "client_encoding",
    ];

    /// <summary>
    /// A string in a body: suspect when it mentions set_config, or when, read as SQL (what EXECUTE would run), the guard
    /// would refuse it. Its other words are text, not code.
    /// </summary>
    private string? StringSuspect(string text, int nesting)
    {
        if (text.Contains("set_config", StringComparison.OrdinalIgnoreCase) || text.Contains("session_authorization", StringComparison.OrdinalIgnoreCase))
        {
            return text.Contains("set_config", StringComparison.OrdinalIgnoreCase) ? "set_config" : "session_authorization";
        }

        if (nesting >= MaxNesting)
        {
            // Strings in strings in strings: each level is read again, so the depth stays bounded.
            return null;
        }

        // Only refusals matter here: no budget for tenant values.
        var sink = new PlanSink(budget: 0);
        new GuardAnalyzer(SqlLexer.Tokenize(text), _catalog, _options, sink, nesting + 1).Run();
        return sink.Refused && sink.Checks[^1] is RefusalCheck refusal ? refusal.StatementKind : null;
    }
}
