namespace DapperTenants.Guard;

/// <summary>Statements that would change the tenant context, the role, or a protected table's policies.</summary>
internal sealed partial class GuardAnalyzer
{
    private void Tamper(int s, int e)
    {
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
            _plan.Add(GuardMessages.ResetAll("DISCARD ALL", _setting, "Use DISCARD PLANS, DISCARD SEQUENCES or DISCARD TEMP for what you need."));
        }
        else if (_t.IsKeyword(s, "alter") && _t.IsKeyword(s + 1, "table"))
        {
            AlterTable(s + 2, e);
        }
        else if ((_t.IsKeyword(s, "alter") || _t.IsKeyword(s, "drop") || _t.IsKeyword(s, "create")) && _t.IsKeyword(s + 1, "policy"))
        {
            Policy(s, e);
        }
        else if (_t.IsKeyword(s, "copy"))
        {
            Copy(s + 1);
        }
        else if (_t.IsKeyword(s, "do"))
        {
            DoBlock(s + 1, e);
        }
        else if (_t.IsKeyword(s, "alter") && (_t.IsKeyword(s + 1, "role") || _t.IsKeyword(s + 1, "user") || _t.IsKeyword(s + 1, "database")))
        {
            AlterDefaults(s, e);
        }
    }

    // What a PL/pgSQL body may not mention: the guard cannot follow its control flow or dynamic SQL, so a DO block
    // that could touch the tenant context, the role or row-level security is refused whole.
    private static readonly string[] DoBlockSuspects =
    [
        "set_config", "set role", "set session", "set local", "session_authorization", "session authorization",
        "reset all", "reset ", "discard all", "row level security", "policy", "pg_settings",
    ];

    /// <summary><c>DO [LANGUAGE l] 'body' [LANGUAGE l]</c>: refused when the body mentions the setting or a context-changing command.</summary>
    private void DoBlock(int i, int e)
    {
        for (var k = i; k < e; k++)
        {
            if (!_t.IsStringConstant(k) || SqlLiterals.DecodeString(_t, k) is not { } body)
            {
                continue;
            }

            var normalized = string.Join(' ', body.Split((char[])[' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
            var suspect = normalized.Contains(_setting, StringComparison.OrdinalIgnoreCase)
                ? _setting
                : DoBlockSuspects.FirstOrDefault(w => normalized.Contains(w, StringComparison.OrdinalIgnoreCase));
            if (suspect is not null)
            {
                _plan.Add(GuardMessages.DoBlock(suspect.Trim(), _setting));
                return;
            }
        }
    }

    /// <summary><c>ALTER {ROLE | USER | DATABASE} … [IN DATABASE …] SET name …</c>: a default for the tenant setting or the role.</summary>
    private void AlterDefaults(int s, int e)
    {
        for (var k = s + 2; k < e; k++)
        {
            if (!_t.IsKeyword(k, "set") || SettingName(k + 1) is not { } name)
            {
                continue;
            }

            if (name.Equals(_setting, StringComparison.OrdinalIgnoreCase) || name.Equals("role", StringComparison.OrdinalIgnoreCase)
                || name.Equals("session_authorization", StringComparison.OrdinalIgnoreCase))
            {
                var what = _t.IsKeyword(s + 1, "database") ? "ALTER DATABASE" : "ALTER ROLE";
                _plan.Add(GuardMessages.ChangesDefault(what, name.ToLowerInvariant(), _setting));
                return;
            }
        }
    }

    /// <summary><c>SET [SESSION | LOCAL] {ROLE … | SESSION AUTHORIZATION … | name {TO | =} … | name FROM CURRENT}</c>.</summary>
    private void Set(int i)
    {
        var kind = "SET";
        if (_t.IsKeyword(i, "session") && !_t.IsKeyword(i + 1, "authorization") && !_t.IsKeyword(i + 1, "characteristics"))
        {
            kind = "SET SESSION";
            i++;
        }
        else if (_t.IsKeyword(i, "local"))
        {
            kind = "SET LOCAL";
            i++;
        }

        var name = _t.IsKeyword(i, "session") && _t.IsKeyword(i + 1, "authorization") ? "session_authorization" : SettingName(i);
        if (name is null)
        {
            return;
        }

        if (name.Equals(_setting, StringComparison.OrdinalIgnoreCase))
        {
            _plan.Add(GuardMessages.ChangesSetting(kind, $"{kind} {_setting}", _setting));
        }
        else if (name.Equals("role", StringComparison.OrdinalIgnoreCase))
        {
            _plan.Add(GuardMessages.ChangesRole("SET ROLE", "SET ROLE"));
        }
        else if (name.Equals("session_authorization", StringComparison.OrdinalIgnoreCase))
        {
            _plan.Add(GuardMessages.ChangesRole("SET SESSION AUTHORIZATION", "SET SESSION AUTHORIZATION"));
        }
    }

    /// <summary><c>RESET ALL</c> and <c>RESET name</c>; resetting the role goes back to the login, which is harmless.</summary>
    private void Reset(int i)
    {
        if (_t.IsKeyword(i, "all"))
        {
            _plan.Add(GuardMessages.ResetAll("RESET ALL", _setting, "Reset only the settings you changed, one by one (RESET name)."));
        }
        else if (SettingName(i) is { } name && name.Equals(_setting, StringComparison.OrdinalIgnoreCase))
        {
            _plan.Add(GuardMessages.ChangesSetting("RESET", $"RESET {_setting}", _setting));
        }
    }

    /// <summary>A (possibly dotted) setting name, as PostgreSQL looks it up: case does not matter.</summary>
    private string? SettingName(int i)
    {
        if (!_t.IsName(i))
        {
            return null;
        }

        var name = _t.Name(i);
        while (_t.Is(i + 1, SqlTokenKind.Dot) && _t.IsName(i + 2))
        {
            name += "." + _t.Name(i + 2);
            i += 2;
        }

        return name;
    }

    /// <summary><c>ALTER TABLE [IF EXISTS] [ONLY] t [*] …, DISABLE ROW LEVEL SECURITY | NO FORCE ROW LEVEL SECURITY, …</c>.</summary>
    private void AlterTable(int i, int e)
    {
        if (_t.IsKeyword(i, "if") && _t.IsKeyword(i + 1, "exists"))
        {
            i += 2;
        }

        if (_t.IsKeyword(i, "only"))
        {
            i++;
        }

        if (!QualifiedName(ref i, out var schema, out var name) || _catalog.Find(schema, name) is not { } table)
        {
            return;
        }

        for (var k = i; k < e; k = Skip(k))
        {
            var rowLevelSecurity = _t.IsKeyword(k + 1, "row") && _t.IsKeyword(k + 2, "level") && _t.IsKeyword(k + 3, "security");
            if (_t.IsKeyword(k, "disable") && rowLevelSecurity)
            {
                _plan.Add(GuardMessages.AltersTable(table, "DISABLE ROW LEVEL SECURITY", "it would switch off tenant isolation for the table"));
                return;
            }

            if (_t.IsKeyword(k, "no") && _t.IsKeyword(k + 1, "force") && _t.IsKeyword(k + 2, "row") && _t.IsKeyword(k + 3, "level")
                && _t.IsKeyword(k + 4, "security"))
            {
                _plan.Add(GuardMessages.AltersTable(table, "NO FORCE ROW LEVEL SECURITY", "it would exempt the table's owner from tenant isolation"));
                return;
            }
        }
    }

    /// <summary><c>{ALTER | DROP [IF EXISTS] | CREATE} POLICY name ON t …</c>; a restrictive new policy only narrows access.</summary>
    private void Policy(int s, int e)
    {
        var i = s + 2;
        if (_t.IsKeyword(s, "drop") && _t.IsKeyword(i, "if") && _t.IsKeyword(i + 1, "exists"))
        {
            i += 2;
        }

        if (!_t.IsName(i) || !_t.IsKeyword(i + 1, "on"))
        {
            return;
        }

        i += 2;
        if (!QualifiedName(ref i, out var schema, out var name) || _catalog.Find(schema, name) is not { } table)
        {
            return;
        }

        if (_t.IsKeyword(s, "drop"))
        {
            _plan.Add(GuardMessages.ChangesPolicy("DROP POLICY", table, "it would remove the tenant isolation of the table"));
        }
        else if (_t.IsKeyword(s, "alter"))
        {
            _plan.Add(GuardMessages.ChangesPolicy("ALTER POLICY", table, "it would change the tenant isolation of the table"));
        }
        else if (!(_t.IsKeyword(i, "as") && _t.IsKeyword(i + 1, "restrictive")) && i <= e)
        {
            _plan.Add(GuardMessages.ChangesPolicy("CREATE POLICY", table, "a permissive policy would widen which rows tenants can see and write"));
        }
    }

    /// <summary><c>COPY t [(cols)] FROM …</c> into a protected table.</summary>
    private void Copy(int i)
    {
        if (!QualifiedName(ref i, out var schema, out var name) || _catalog.Find(schema, name) is not { } table)
        {
            return;
        }

        if (_t.Is(i, SqlTokenKind.OpenParen))
        {
            i = _t.Partner(i) + 1;
        }

        if (_t.IsKeyword(i, "from"))
        {
            _plan.Add(GuardMessages.CopyFrom(table));
        }
    }

    /// <summary>
    /// Every call of <c>set_config</c> (or <c>pg_catalog.set_config</c>) in the statement, wherever it sits: its
    /// setting name must be a constant (or a parameter) naming neither the tenant setting nor the role.
    /// </summary>
    private void ScanSetConfig(int s, int e)
    {
        for (var k = s; k < e; k++)
        {
            if (!_t.Is(k + 1, SqlTokenKind.OpenParen) || !IsSetConfig(k)
                || (_t.Is(k - 1, SqlTokenKind.Dot) && (k < 2 || _t.Name(k - 2) != "pg_catalog")))
            {
                continue;
            }

            (int Start, int End)? argument = null;
            var positional = 0;
            foreach (var (a, b) in SplitCommas(k + 2, _t.Partner(k + 1)))
            {
                if (_t.IsName(a) && (_t.IsOperator(a + 1, "=>") || _t.Is(a + 1, SqlTokenKind.ColonEquals)))
                {
                    if (_t.Name(a) == "setting_name")
                    {
                        argument = (a + 2, b);
                    }
                }
                else if (positional++ == 0)
                {
                    argument = (a, b);
                }
            }

            var value = argument is { } range ? ParseValue(range.Start, range.End, label: false) : null;
            if (value?.Parameter is { } parameter)
            {
                _plan.Add(new SettingNameCheck(parameter, _setting));
                continue;
            }

            var constant = value?.Constant ?? PgValue.Invalid;
            foreach (var cast in value?.Casts ?? [])
            {
                constant = constant.CastTo(cast.Family == PgTypeFamily.Text ? cast : PgType.Other);
            }

            if (constant.Kind is not (PgValueKind.Literal or PgValueKind.Text))
            {
                _plan.Add(GuardMessages.NonConstantSettingName(_setting));
            }
            else if (RefuseSettingName(constant.ToString(), _setting) is { } refusal)
            {
                _plan.Add(refusal);
            }
        }
    }

    private bool IsSetConfig(int k) =>
        _t.IsKeyword(k, "set_config") || (_t.Kind(k) is SqlTokenKind.QuotedIdentifier or SqlTokenKind.UnicodeIdentifier && _t.Name(k) == "set_config");

    private static bool IsSettingsView(string? schema, string name) => name == "pg_settings" && schema is null or "pg_catalog";

    /// <summary>
    /// <c>UPDATE pg_settings SET setting = … WHERE name = '…'</c> is <c>set_config</c> in disguise (a rule rewrites it).
    /// Only the plain form naming another setting passes.
    /// </summary>
    private void UpdateSettings(int i, int e)
    {
        var where = i;
        while (where < e && !_t.IsKeyword(where, "where"))
        {
            where = Skip(where);
        }

        var n = where + 1;
        int? constant = null;
        if (_t.IsKeyword(n, "name") && _t.IsOperator(n + 1, "=") && _t.IsStringConstant(n + 2))
        {
            constant = n + 2;
        }
        else if (_t.IsStringConstant(n) && _t.IsOperator(n + 1, "=") && _t.IsKeyword(n + 2, "name"))
        {
            constant = n;
        }

        var end = n + 3 == e || _t.IsKeyword(n + 3, "returning");
        var setting = constant is { } c && end ? SqlLiterals.DecodeString(_t, c) : null;
        if (setting is null || RefuseSettingName(setting, _setting) is not null)
        {
            _plan.Add(GuardMessages.UpdatesSettings(_setting));
        }
    }
}
