namespace DapperTenants.Guard;

/// <summary>
/// The calls that matter wherever they sit in a statement: <c>set_config</c>, built-ins that run SQL from a text, and
/// session-level advisory locks. One linear scan of the statement's tokens, part of the complete pass.
/// </summary>
internal sealed partial class GuardAnalyzer
{
    private enum Call : byte
    {
        None,
        SetConfig,

        /// <summary><c>query_to_xml</c> and kin, <c>ts_stat</c>: the first argument (or <c>query =&gt;</c>) is run as SQL.</summary>
        QueryFirst,

        /// <summary><c>ts_rewrite(tsquery, text)</c>: the second of two arguments is run as SQL.</summary>
        QuerySecond,

        /// <summary>tablefunc's <c>crosstab</c>: every text argument is run as SQL.</summary>
        Crosstab,

        /// <summary>Runs SQL the guard cannot see at all (a cursor's query, another connection, a query built from names).</summary>
        Hidden,
        SessionLock,
        SettingsView,
    }

    private void ScanCalls(int s, int e)
    {
        for (var k = s; k < e && !_sink.Refused; k++)
        {
            var call = CallAt(k);
            if (call == Call.None)
            {
                continue;
            }

            var dotted = k > s + 1 && _t.Is(k - 1, SqlTokenKind.Dot);
            var qualifier = dotted ? _t.Name(k - 2) : null;
            if (call == Call.SettingsView)
            {
                SettingsViewUpdate(s, e, k, dotted, qualifier);
                continue;
            }

            if (dotted && qualifier is null)
            {
                // (expr).ts_stat, (expr)[1].ts_stat and $1.ts_stat call ts_stat on what precedes the dot: attribute
                // notation works for any one-argument function.
                if (call is Call.QueryFirst or Call.SessionLock && !_t.Is(k + 1, SqlTokenKind.OpenParen))
                {
                    AttributeCall(call);
                }

                continue;
            }

            // A function of the same name in another schema is not the built-in (extension functions live in any schema).
            if (call is not (Call.Crosstab or Call.Hidden) || IsBuiltInHidden(k))
            {
                if (qualifier is not null and not "pg_catalog")
                {
                    continue;
                }
            }

            if (k + 1 >= e || !_t.Is(k + 1, SqlTokenKind.OpenParen))
            {
                continue;
            }

            var arguments = Arguments(k + 2, _t.Partner(k + 1));
            switch (call)
            {
                case Call.SetConfig:
                    SetConfig(arguments);
                    break;
                case Call.SessionLock:
                    Session(GuardMessages.SessionLock);
                    break;
                default:
                    DynamicCall(k, call, arguments);
                    break;
            }
        }
    }

    /// <summary>The function a name token could call, by its name alone.</summary>
    private Call CallAt(int k)
    {
        ReadOnlySpan<char> name;
        string? decoded = null;
        switch (_t.Kind(k))
        {
            case SqlTokenKind.Identifier:
                name = _t.Text(k);
                break;
            case SqlTokenKind.QuotedIdentifier or SqlTokenKind.UnicodeIdentifier:
                decoded = _t.Name(k);
                if (decoded is null || decoded.AsSpan().ContainsAnyInRange('A', 'Z'))
                {
                    return Call.None;
                }

                name = decoded;
                break;
            default:
                return Call.None;
        }

        if (name.Length < 6 || name.Length > 27 || (name[0] | 0x20) is not ('s' or 'q' or 't' or 'c' or 'd' or 'x' or 'p'))
        {
            return Call.None;
        }

        foreach (var (function, call) in Functions)
        {
            if (SqlTokens.EqualsKeyword(name, function))
            {
                return call;
            }
        }

        return Call.None;
    }

    private static readonly (string Name, Call Call)[] Functions =
    [
        ("set_config", Call.SetConfig),
        ("query_to_xml", Call.QueryFirst), ("query_to_xmlschema", Call.QueryFirst), ("query_to_xml_and_xmlschema", Call.QueryFirst),
        ("ts_stat", Call.QueryFirst), ("ts_rewrite", Call.QuerySecond),
        ("cursor_to_xml", Call.Hidden),
        ("crosstab", Call.Crosstab), ("crosstab2", Call.Crosstab), ("crosstab3", Call.Crosstab), ("crosstab4", Call.Crosstab),
        ("connectby", Call.Hidden), ("xpath_table", Call.Hidden),
        ("dblink", Call.Hidden), ("dblink_exec", Call.Hidden), ("dblink_open", Call.Hidden), ("dblink_send_query", Call.Hidden),
        ("pg_advisory_lock", Call.SessionLock), ("pg_advisory_lock_shared", Call.SessionLock),
        ("pg_try_advisory_lock", Call.SessionLock), ("pg_try_advisory_lock_shared", Call.SessionLock),
        ("pg_settings", Call.SettingsView),
    ];

    private bool IsBuiltInHidden(int k) => SqlTokens.EqualsKeyword(_t.Kind(k) == SqlTokenKind.Identifier ? _t.Text(k) : _t.Name(k), "cursor_to_xml");

    /// <summary>The arguments of a call: positional ones in order, and <c>name =&gt; value</c> ones by name.</summary>
    private List<(string? Name, int Start, int End)> Arguments(int start, int end)
    {
        var arguments = new List<(string?, int, int)>();
        foreach (var (a, b) in SplitCommas(start, end))
        {
            if (_t.IsName(a) && (_t.IsOperator(a + 1, "=>") || _t.Is(a + 1, SqlTokenKind.ColonEquals)))
            {
                arguments.Add((_t.Name(a), a + 2, b));
            }
            else
            {
                arguments.Add((null, a, b));
            }
        }

        return arguments;
    }

    /// <summary>The argument at <paramref name="position"/> (counting positional ones) or named <paramref name="name"/>.</summary>
    private static (int Start, int End)? Argument(List<(string? Name, int Start, int End)> arguments, int position, string? name)
    {
        var index = 0;
        foreach (var argument in arguments)
        {
            if (argument.Name is null ? index++ == position : argument.Name == name)
            {
                return (argument.Start, argument.End);
            }
        }

        return null;
    }

    /// <summary>
    /// <c>set_config(name, value, is_local)</c>: the name must be a constant (or a parameter) naming neither the tenant
    /// setting, the role, nor a setting that changes how SQL is read; a call that is not local is session state.
    /// </summary>
    private void SetConfig(List<(string? Name, int Start, int End)> arguments)
    {
        var value = Argument(arguments, 0, "setting_name") is { } range ? ParseValue(range.Start, range.End, label: false) : null;
        if (value?.Parameter is { } parameter && !_unbound)
        {
            _sink.Add(new SettingNameCheck(parameter, _setting));
        }
        else
        {
            var constant = value?.Parameter is null ? value?.Constant ?? PgValue.Invalid : PgValue.Invalid;
            foreach (var cast in value?.Casts ?? [])
            {
                constant = constant.CastTo(cast.Family == PgTypeFamily.Text ? cast : PgType.Other);
            }

            if (constant.Kind is not (PgValueKind.Literal or PgValueKind.Text))
            {
                Refuse(GuardMessages.NonConstantSettingName(_setting));
                return;
            }

            if (RefuseSettingName(constant.ToString(), _setting) is { } refusal)
            {
                Refuse(refusal);
                return;
            }
        }

        IsLocal(Argument(arguments, 2, "is_local"));
    }

    /// <summary><c>is_local</c>: <c>true</c> (or a string PostgreSQL reads as true) is local; a parameter is read at execution.</summary>
    private void IsLocal((int Start, int End)? range)
    {
        if (range is not { } r)
        {
            // set_config has no two-argument form: PostgreSQL rejects the call.
            return;
        }

        var (a, b) = r;
        while (b - a >= 3 && _t.Is(b - 2, SqlTokenKind.DoubleColon) && _t.Name(b - 1) is "bool" or "boolean")
        {
            b -= 2;
        }

        if (b == a + 1 && (_t.IsKeyword(a, "true") || (_t.IsStringConstant(a) && IsTrue(SqlLiterals.DecodeString(_t, a)))))
        {
            return;
        }

        if (b == a + 1 && !_unbound && _t.Kind(a) is SqlTokenKind.Named or SqlTokenKind.Positional
            && ParseValue(a, b, label: false)?.Parameter is { } flag)
        {
            Session(GuardMessages.SetConfigSession, flag);
            return;
        }

        Session(GuardMessages.SetConfigSession);
    }

    /// <summary>PostgreSQL's boolean input: a prefix of true or yes, on, or 1, in any case, with spaces around.</summary>
    private static bool IsTrue(string? text)
    {
        var value = text.AsSpan().Trim();
        if (value.IsEmpty)
        {
            return false;
        }

        return "true".AsSpan().StartsWith(value, StringComparison.OrdinalIgnoreCase) || "yes".AsSpan().StartsWith(value, StringComparison.OrdinalIgnoreCase)
            || value.Equals("on", StringComparison.OrdinalIgnoreCase) || value.SequenceEqual("1");
    }

    /// <summary>
    /// <c>pg_settings</c> as the target of an UPDATE that does not begin the statement (a data-modifying CTE, EXPLAIN
    /// ANALYZE): refused, since the plain form at the start of a statement is the only one the guard reads.
    /// </summary>
    private void SettingsViewUpdate(int s, int e, int k, bool dotted, string? qualifier)
    {
        if (dotted && qualifier != "pg_catalog")
        {
            return;
        }

        var u = dotted ? k - 3 : k - 1;
        if (_t.IsKeyword(u, "only"))
        {
            u--;
        }

        if (u >= s && _t.IsKeyword(u, "update") && u != s && k < e)
        {
            Refuse(GuardMessages.UpdatesSettings(_setting));
        }
    }
}
