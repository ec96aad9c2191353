namespace DapperTenants.Guard;

/// <summary>What a statement is by its leading words: the complete pass's dispatcher, and the statements that leave session state.</summary>
internal sealed partial class GuardAnalyzer
{
    /// <summary>Refuses (or adds a session check for) a statement by its leading words; the first pass, always complete.</summary>
    /// <param name="s">The statement's first token.</param>
    /// <param name="e">Where it ends.</param>
    /// <param name="depth">How many statements contain this one (<c>EXPLAIN ANALYZE stmt</c>, <c>PREPARE p AS stmt</c>).</param>
    private void Classify(int s, int e, int depth = 0)
    {
        // PREPARE inside PREPARE, EXPLAIN inside EXPLAIN: syntax errors, and a way to exhaust the stack.
        if (_t.Kind(s) != SqlTokenKind.Identifier || depth > MaxDepth)
        {
            return;
        }

        if (_t.IsKeyword(s, "set"))
        {
            Set(s + 1);
        }
        else if (_t.IsKeyword(s, "reset"))
        {
            Reset(s + 1);
        }
        else if (_t.IsKeyword(s, "discard") && _t.IsKeyword(s + 1, "all"))
        {
            Refuse(GuardMessages.ResetAll("DISCARD ALL", _setting, "Use DISCARD PLANS, DISCARD SEQUENCES or DISCARD TEMP for what you need."));
        }
        else if (_t.IsKeyword(s, "alter"))
        {
            Alter(s, e);
        }
        else if (_t.IsKeyword(s, "drop") && _t.IsKeyword(s + 1, "policy"))
        {
            Policy(s, e);
        }
        else if (_t.IsKeyword(s, "create"))
        {
            Create(s, e);
        }
        else if (_t.IsKeyword(s, "copy"))
        {
            Copy(s + 1);
        }
        else if (_t.IsKeyword(s, "do"))
        {
            DoBlock(s, e);
        }
        else if (_t.IsKeyword(s, "update"))
        {
            UpdateSettings(s, e);
        }
        else if (_t.IsKeyword(s, "select") || _t.IsKeyword(s, "with"))
        {
            SelectInto(s, e);
        }
        else if (_t.IsKeyword(s, "explain"))
        {
            Explain(s, e, depth);
        }
        else
        {
            SessionCommand(s, e, depth);
        }
    }

    private void SessionCommand(int s, int e, int depth)
    {
        if (_t.IsKeyword(s, "prepare") && !_t.IsKeyword(s + 1, "transaction"))
        {
            Prepare(s, e, depth);
        }
        else if (_t.IsKeyword(s, "execute"))
        {
            Execute(s + 1);
        }
        else if (_t.IsKeyword(s, "deallocate"))
        {
            var i = _t.IsKeyword(s + 1, "prepare") ? s + 2 : s + 1;
            if (_t.IsKeyword(i, "all"))
            {
                _prepared.Clear();
            }
            else if (_t.IsName(i))
            {
                _prepared.Remove(_t.Name(i)!);
            }
        }
        else if (_t.IsKeyword(s, "declare"))
        {
            for (var k = s + 1; k < e && !_t.IsKeyword(k, "for"); k = Skip(k))
            {
                if (_t.IsKeyword(k, "with") && _t.IsKeyword(k + 1, "hold"))
                {
                    Session(GuardMessages.DeclareWithHold);
                    return;
                }
            }

            Transaction(GuardMessages.DeclareInScope);
        }
        else if (_t.IsKeyword(s, "listen"))
        {
            Session(GuardMessages.Listen);
        }
        else if (_t.IsKeyword(s, "load"))
        {
            Session(GuardMessages.Load);
        }
    }

    /// <summary>A statement that leaves state in the session: refused at execution when the session outlives the lease.</summary>
    private void Session(RefusalCheck refusal, ParameterRef? localFlag = null) =>
        _sink.Add($"session|{refusal.StatementKind}|{localFlag}", new SessionStateCheck(refusal, localFlag));

    /// <summary>State that lives until the end of the transaction: refused where the transaction outlives the lease (a TransactionScope).</summary>
    private void Transaction(RefusalCheck refusal) =>
        _sink.Add($"transaction|{refusal.StatementKind}", new SessionStateCheck(refusal, transactionState: true));

    /// <summary><c>EXPLAIN ANALYZE</c> runs its statement and reports what the policy hid; plain <c>EXPLAIN</c> runs nothing.</summary>
    private void Explain(int s, int e, int depth)
    {
        var inner = ExplainTarget(s, out var analyze);
        if (!analyze)
        {
            return;
        }

        if (!_options.AllowExplainAnalyze)
        {
            Refuse(GuardMessages.ExplainAnalyze);
        }
        else if (inner < e)
        {
            // What it runs: a CREATE TABLE AS, a DECLARE, an EXECUTE, …
            Classify(inner, e, depth + 1);
        }
    }

    /// <summary>
    /// <c>EXPLAIN [ANALYZE] [VERBOSE] stmt</c> or <c>EXPLAIN (option [value], …) stmt</c>: where the statement begins,
    /// and whether it runs. The last <c>ANALYZE</c> option wins, as in PostgreSQL; a value it cannot read counts as true.
    /// </summary>
    private int ExplainTarget(int s, out bool analyze)
    {
        var i = s + 1;
        analyze = false;
        if (_t.Is(i, SqlTokenKind.OpenParen))
        {
            var close = _t.Partner(i);
            foreach (var (a, b) in SplitCommas(i + 1, close))
            {
                if (_t.Name(a) is "analyze" or "analyse")
                {
                    analyze = a + 1 >= b || !IsFalse(a + 1, b);
                }
            }

            return close + 1;
        }

        while (_t.IsKeyword(i, "analyze") || _t.IsKeyword(i, "analyse") || _t.IsKeyword(i, "verbose"))
        {
            analyze |= !_t.IsKeyword(i, "verbose");
            i++;
        }

        return i;
    }

    /// <summary>Whether [a, b) is one boolean option value PostgreSQL reads as false: <c>false</c>, <c>off</c>, <c>0</c>, quoted or not.</summary>
    private bool IsFalse(int a, int b)
    {
        if (b != a + 1)
        {
            return false;
        }

        var value = _t.IsStringConstant(a) ? SqlLiterals.DecodeString(_t, a) : _t.Kind(a) == SqlTokenKind.Integer ? _t.Text(a).ToString() : _t.Name(a);
        return value is not null && (value.Equals("false", StringComparison.OrdinalIgnoreCase) || value.Equals("off", StringComparison.OrdinalIgnoreCase) || value == "0");
    }

    /// <summary><c>PREPARE name [(types)] AS statement</c>: the statement's placeholders are its own parameters, bound by a later EXECUTE.</summary>
    private void Prepare(int s, int e, int depth)
    {
        if (_t.IsName(s + 1))
        {
            _prepared.Add(_t.Name(s + 1)!);
        }

        Session(GuardMessages.Prepare);
        if (PreparedBody(s, e) is var body and > 0 && body < e)
        {
            Classify(body, e, depth + 1);
        }
    }

    private int PreparedBody(int s, int e)
    {
        var i = s + 2;
        if (_t.Is(i, SqlTokenKind.OpenParen))
        {
            i = _t.Partner(i) + 1;
        }

        return _t.IsKeyword(i, "as") && i + 1 < e ? i + 1 : -1;
    }

    /// <summary>
    /// <c>EXECUTE name [(args)]</c> runs whatever the session has prepared under that name, Npgsql's own prepared
    /// statements included: only a statement prepared earlier in the same text is known to the guard.
    /// </summary>
    private void Execute(int i)
    {
        var name = _t.IsName(i) ? _t.Name(i)! : string.Empty;
        if (!_prepared.Contains(name))
        {
            Refuse(GuardMessages.ExecuteUnknown(name));
        }
    }

    /// <summary><c>[WITH …] SELECT … INTO [TEMP | TEMPORARY | UNLOGGED] [TABLE] name …</c> creates a table; a temporary one is session state.</summary>
    private void SelectInto(int s, int e)
    {
        var i = _t.IsKeyword(s, "with") ? SkipWith(s, e, 0, analyze: false) : s;
        if (i < 0 || !_t.IsKeyword(i, "select"))
        {
            return;
        }

        for (var k = i + 1; k < e; k = Skip(k))
        {
            if (!_t.IsKeyword(k, "into"))
            {
                continue;
            }

            var j = k + 1;
            if (_t.IsKeyword(j, "global") || _t.IsKeyword(j, "local"))
            {
                j++;
            }

            var temp = _t.IsKeyword(j, "temp") || _t.IsKeyword(j, "temporary");
            j += temp || _t.IsKeyword(j, "unlogged") ? 1 : 0;
            j += _t.IsKeyword(j, "table") ? 1 : 0;
            if (temp || (QualifiedName(ref j, out var schema, out _) && IsTempSchema(schema)))
            {
                Session(GuardMessages.SelectIntoTemp);
            }

            return;
        }
    }

    /// <summary>
    /// <c>CREATE …</c>: code (functions, triggers, rules, …) is refused unless <see cref="GuardOptions.AllowDynamicSql"/>;
    /// temporary objects are session state, except a temporary table dropped at commit.
    /// </summary>
    private void Create(int s, int e)
    {
        var i = s + 1;
        if (_t.IsKeyword(i, "or") && _t.IsKeyword(i + 1, "replace"))
        {
            i += 2;
        }

        if ((_t.IsKeyword(i, "global") || _t.IsKeyword(i, "local")) && (_t.IsKeyword(i + 1, "temp") || _t.IsKeyword(i + 1, "temporary")))
        {
            i++;
        }

        var temp = _t.IsKeyword(i, "temp") || _t.IsKeyword(i, "temporary");
        i += temp ? 1 : 0;
        i += _t.IsKeyword(i, "unlogged") ? 1 : 0;
        if (_t.IsKeyword(i, "policy"))
        {
            Policy(s, e);
            return;
        }

        if (CodeKind(i) is { } code)
        {
            CreateCode(code, s, e);
            return;
        }

        if (_t.IsKeyword(i, "schema"))
        {
            // CREATE SCHEMA s CREATE TABLE … CREATE TRIGGER …: the elements are statements of their own.
            for (var k = i + 1; k < e; k = Skip(k))
            {
                if (_t.IsKeyword(k, "create") && CodeKind(_t.IsKeyword(k + 1, "or") ? k + 3 : k + 1) is { } element)
                {
                    CreateCode(element, s, e);
                    return;
                }
            }
        }

        if (_t.IsKeyword(i, "table") || (_t.IsKeyword(i, "materialized") && _t.IsKeyword(i + 1, "view")))
        {
            ExecuteInside(i, e);
        }

        if (_t.IsKeyword(i, "table"))
        {
            var j = i + 1;
            if (_t.IsKeyword(j, "if") && _t.IsKeyword(j + 1, "not") && _t.IsKeyword(j + 2, "exists"))
            {
                j += 3;
            }

            temp |= QualifiedName(ref j, out var schema, out _) && IsTempSchema(schema);
            if (temp && !DroppedAtCommit(j, e))
            {
                Session(GuardMessages.CreateTempTable);
            }
            else if (temp)
            {
                Transaction(GuardMessages.CreateTempTableInScope);
            }
        }
        else if (temp || MentionsTempSchema(s, e))
        {
            // A view over a temporary object is itself temporary.
            Session(GuardMessages.CreateTempObject);
        }
    }

    /// <summary>The kind of code a <c>CREATE</c> makes, from the word after the options, or <see langword="null"/>.</summary>
    private string? CodeKind(int i)
    {
        if (_t.IsKeyword(i, "constraint") && _t.IsKeyword(i + 1, "trigger"))
        {
            return "CREATE TRIGGER";
        }

        if (_t.IsKeyword(i, "event") && _t.IsKeyword(i + 1, "trigger"))
        {
            return "CREATE EVENT TRIGGER";
        }

        if (_t.IsKeyword(i, "trusted") || _t.IsKeyword(i, "procedural"))
        {
            return "CREATE LANGUAGE";
        }

        if ((_t.IsKeyword(i, "user") && _t.IsKeyword(i + 1, "mapping")) || (_t.IsKeyword(i, "foreign") && _t.IsKeyword(i + 1, "data")))
        {
            return "CREATE SERVER";
        }

        foreach (var kind in CodeKinds)
        {
            if (_t.IsKeyword(i, kind))
            {
                return "CREATE " + kind.ToUpperInvariant();
            }
        }

        return null;
    }

    private static readonly string[] CodeKinds = ["function", "procedure", "aggregate", "operator", "cast", "trigger", "rule", "extension", "language", "transform", "server"];

    /// <summary><c>… ON COMMIT DROP</c> at the top level of a <c>CREATE TABLE</c>.</summary>
    private bool DroppedAtCommit(int i, int e)
    {
        for (var k = i; k < e; k = Skip(k))
        {
            if (_t.IsKeyword(k, "on") && _t.IsKeyword(k + 1, "commit") && _t.IsKeyword(k + 2, "drop"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>CREATE TABLE … AS EXECUTE name</c> and <c>CREATE MATERIALIZED VIEW … AS EXECUTE name</c>.</summary>
    private void ExecuteInside(int i, int e)
    {
        for (var k = i; k < e; k = Skip(k))
        {
            if (_t.IsKeyword(k, "as") && _t.IsKeyword(k + 1, "execute"))
            {
                Execute(k + 2);
                return;
            }
        }
    }

    private bool MentionsTempSchema(int s, int e)
    {
        for (var k = s; k < e; k++)
        {
            if (_t.Is(k + 1, SqlTokenKind.Dot) && _t.Text(k).Length >= 7 && IsTempSchema(_t.Name(k)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>pg_temp</c>, or a session's own <c>pg_temp_N</c>.</summary>
    private static bool IsTempSchema(string? schema) =>
        schema is not null && schema.StartsWith("pg_temp", StringComparison.Ordinal)
        && (schema.Length == 7 || (schema[7] == '_' && schema.Length > 8 && schema.AsSpan(8).IndexOfAnyExceptInRange('0', '9') < 0));
}
