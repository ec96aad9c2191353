namespace DapperTenants.Guard;

/// <summary>Statements that would change the tenant context, the role, a protected table's policies, or how SQL is read.</summary>
internal sealed partial class GuardAnalyzer
{
    /// <summary>
    /// <c>SET [SESSION | LOCAL] {ROLE … | SESSION AUTHORIZATION … | name {TO | =} … | name FROM CURRENT | TIME ZONE … | NAMES … | SCHEMA …}</c>;
    /// a setting changed for the session (not <c>LOCAL</c>, not the transaction's) is session state.
    /// </summary>
    private void Set(int i)
    {
        var kind = "SET";
        if (_t.IsKeyword(i, "session") && _t.IsKeyword(i + 1, "characteristics"))
        {
            Session(GuardMessages.SetSession);
            return;
        }

        if (_t.IsKeyword(i, "session") && !_t.IsKeyword(i + 1, "authorization"))
        {
            kind = "SET SESSION";
            i++;
        }
        else if (_t.IsKeyword(i, "local"))
        {
            kind = "SET LOCAL";
            i++;
        }

        if (_t.IsKeyword(i, "transaction") || _t.IsKeyword(i, "constraints"))
        {
            // For the current transaction only.
            return;
        }

        var name = _t.IsKeyword(i, "session") && _t.IsKeyword(i + 1, "authorization") ? "session_authorization"
            : _t.IsKeyword(i, "names") ? "client_encoding"
            : _t.IsKeyword(i, "time") && _t.IsKeyword(i + 1, "zone") ? "timezone"
            : SettingName(i);
        if (name is null)
        {
            return;
        }

        if (name.Equals(_setting, StringComparison.OrdinalIgnoreCase))
        {
            Refuse(GuardMessages.ChangesSetting(kind, $"{kind} {_setting}", _setting));
        }
        else if (name.Equals("role", StringComparison.OrdinalIgnoreCase))
        {
            Refuse(GuardMessages.ChangesRole("SET ROLE", "SET ROLE"));
        }
        else if (name.Equals("session_authorization", StringComparison.OrdinalIgnoreCase))
        {
            Refuse(GuardMessages.ChangesRole("SET SESSION AUTHORIZATION", "SET SESSION AUTHORIZATION"));
        }
        else if (IsLexingSetting(name))
        {
            var lowered = name.ToLowerInvariant();
            Refuse(GuardMessages.ChangesLexing(kind, $"{kind} {lowered}", lowered));
        }
        else if (kind != "SET LOCAL")
        {
            Session(GuardMessages.SetSession);
        }
    }

    /// <summary><c>RESET ALL</c> and <c>RESET name</c>; resetting the role goes back to the login, which is harmless.</summary>
    private void Reset(int i)
    {
        if (_t.IsKeyword(i, "all"))
        {
            Refuse(GuardMessages.ResetAll("RESET ALL", _setting, "Reset only the settings you changed, one by one (RESET name)."));
        }
        else if (SettingName(i) is { } name && name.Equals(_setting, StringComparison.OrdinalIgnoreCase))
        {
            Refuse(GuardMessages.ChangesSetting("RESET", $"RESET {_setting}", _setting));
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

    private void Alter(int s, int e)
    {
        if (_t.IsKeyword(s + 1, "table"))
        {
            AlterTable(s + 2, e);
        }
        else if (_t.IsKeyword(s + 1, "policy"))
        {
            Policy(s, e);
        }
        else if (_t.IsKeyword(s + 1, "role") || _t.IsKeyword(s + 1, "user") || _t.IsKeyword(s + 1, "database") || _t.IsKeyword(s + 1, "system"))
        {
            AlterDefaults(s, e);
        }
        else if (_t.IsKeyword(s + 1, "function") || _t.IsKeyword(s + 1, "procedure") || _t.IsKeyword(s + 1, "routine")
            || _t.IsKeyword(s + 1, "aggregate") || _t.IsKeyword(s + 1, "extension") || _t.IsKeyword(s + 1, "server"))
        {
            AlterCode(s, e);
        }
    }

    /// <summary>
    /// <c>ALTER {ROLE | USER | DATABASE | SYSTEM} … SET name …</c>: a default for every later session of the login, every
    /// tenant's, of the tenant setting, the role, a setting that changes how SQL is read, or <c>search_path</c> (which
    /// decides what unqualified table names mean).
    /// </summary>
    private void AlterDefaults(int s, int e)
    {
        for (var k = s + 2; k < e; k++)
        {
            if (!_t.IsKeyword(k, "set") || SettingName(k + 1) is not { } name)
            {
                continue;
            }

            if (IsProtectedSetting(name) || name.Equals("search_path", StringComparison.OrdinalIgnoreCase))
            {
                var what = _t.IsKeyword(s + 1, "database") ? "ALTER DATABASE" : _t.IsKeyword(s + 1, "system") ? "ALTER SYSTEM" : "ALTER ROLE";
                Refuse(GuardMessages.ChangesDefault(what, name.ToLowerInvariant(), _setting));
                return;
            }
        }
    }

    private bool IsProtectedSetting(string name) =>
        name.Equals(_setting, StringComparison.OrdinalIgnoreCase) || name.Equals("role", StringComparison.OrdinalIgnoreCase)
        || name.Equals("session_authorization", StringComparison.OrdinalIgnoreCase) || IsLexingSetting(name);

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
                Refuse(GuardMessages.AltersTable(table, "DISABLE ROW LEVEL SECURITY", "it would switch off tenant isolation for the table"));
                return;
            }

            if (_t.IsKeyword(k, "no") && _t.IsKeyword(k + 1, "force") && _t.IsKeyword(k + 2, "row") && _t.IsKeyword(k + 3, "level")
                && _t.IsKeyword(k + 4, "security"))
            {
                Refuse(GuardMessages.AltersTable(table, "NO FORCE ROW LEVEL SECURITY", "it would exempt the table's owner from tenant isolation"));
                return;
            }
        }
    }

    /// <summary>
    /// <c>{ALTER | DROP [IF EXISTS] | CREATE} POLICY name ON t …</c> on a protected table; a restrictive new policy only
    /// narrows access. The rest of the statement must follow PostgreSQL's grammar: a syntax error goes to the server.
    /// </summary>
    private void Policy(int s, int e)
    {
        var i = s + 2;
        var create = _t.IsKeyword(s, "create");
        if (!_t.IsKeyword(s + 1, "policy"))
        {
            // CREATE OR REPLACE POLICY, CREATE TEMP POLICY: syntax errors.
            return;
        }

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
            if (i == e || (i + 1 == e && (_t.IsKeyword(i, "cascade") || _t.IsKeyword(i, "restrict"))))
            {
                Refuse(GuardMessages.ChangesPolicy("DROP POLICY", table, "it would remove the tenant isolation of the table"));
            }
        }
        else if (!create)
        {
            var rename = _t.IsKeyword(i, "rename") && _t.IsKeyword(i + 1, "to") && _t.IsName(i + 2) && i + 3 == e;
            if (rename || PolicyClauses(i, e, create: false).End == e)
            {
                Refuse(GuardMessages.ChangesPolicy("ALTER POLICY", table, "it would change the tenant isolation of the table"));
            }
        }
        else if (PolicyClauses(i, e, create: true) is { End: var end, Restrictive: false } && end == e)
        {
            Refuse(GuardMessages.ChangesPolicy("CREATE POLICY", table, "a permissive policy would widen which rows tenants can see and write"));
        }
    }

    /// <summary>
    /// <c>[AS {PERMISSIVE | RESTRICTIVE}] [FOR command] [TO role, …] [USING (…)] [WITH CHECK (…)]</c> (only the last
    /// three after ALTER POLICY); returns where they end (the statement's end when they follow the grammar, else -1).
    /// </summary>
    private (int End, bool Restrictive) PolicyClauses(int i, int e, bool create)
    {
        var restrictive = false;
        if (create && _t.IsKeyword(i, "as"))
        {
            if (!_t.IsKeyword(i + 1, "permissive") && !_t.IsKeyword(i + 1, "restrictive"))
            {
                return (-1, false);
            }

            restrictive = _t.IsKeyword(i + 1, "restrictive");
            i += 2;
        }

        if (create && _t.IsKeyword(i, "for"))
        {
            if (!(_t.IsKeyword(i + 1, "all") || _t.IsKeyword(i + 1, "select") || _t.IsKeyword(i + 1, "insert") || _t.IsKeyword(i + 1, "update")
                || _t.IsKeyword(i + 1, "delete")))
            {
                return (-1, false);
            }

            i += 2;
        }

        if (_t.IsKeyword(i, "to"))
        {
            do
            {
                if (!_t.IsName(i + 1))
                {
                    return (-1, false);
                }

                i += 2;
            }
            while (_t.Is(i, SqlTokenKind.Comma));
        }

        if (_t.IsKeyword(i, "using"))
        {
            if (!_t.Is(i + 1, SqlTokenKind.OpenParen))
            {
                return (-1, false);
            }

            i = _t.Partner(i + 1) + 1;
        }

        if (_t.IsKeyword(i, "with") && _t.IsKeyword(i + 1, "check"))
        {
            if (!_t.Is(i + 2, SqlTokenKind.OpenParen))
            {
                return (-1, false);
            }

            i = _t.Partner(i + 2) + 1;
        }

        return (i, restrictive);
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
            Refuse(GuardMessages.CopyFrom(table));
        }
    }

    private static bool IsSettingsView(string? schema, string name) => name == "pg_settings" && schema is null or "pg_catalog";

    /// <summary>
    /// <c>UPDATE [ONLY] pg_settings SET setting = … WHERE name = '…'</c> is <c>set_config</c> in disguise (a rule rewrites
    /// it). Only the plain form naming a harmless setting passes.
    /// </summary>
    private void UpdateSettings(int s, int e)
    {
        var i = _t.IsKeyword(s + 1, "only") ? s + 2 : s + 1;
        if (!QualifiedName(ref i, out var schema, out var table) || !IsSettingsView(schema, table))
        {
            return;
        }

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
            Refuse(GuardMessages.UpdatesSettings(_setting));
        }
    }
}
