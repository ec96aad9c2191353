using System.Globalization;

namespace DapperTenants.Tests.Guard;

/// <summary>One generated statement: the connection it runs on, its text and parameters, and what it writes.</summary>
/// <param name="AllKnown">Every tenant value it writes is a constant or a parameter (none is an expression).</param>
internal sealed record OracleCase(OracleTable Table, string Sql, IReadOnlyList<(string? Name, object? Value)> Parameters, bool AllKnown, string Shape);

/// <summary>A protected table of the oracle database and the tenant its connection runs under.</summary>
internal sealed record OracleTable(string Key, string[] Names, string[] Columns, int TenantIndex, string IdColumn, string Tenant)
{
    public string TenantColumn => Columns[TenantIndex];
}

/// <summary>
/// Generates INSERT, INSERT … SELECT, upsert, UPDATE, MERGE and CTE statements against the oracle tables, with random
/// spacing, case, comments, quoting, literal forms, casts, column orders, row counts and parameters. About half write a
/// wrong tenant, on a path that really executes (upserts conflict, updates match a row, MERGE takes the branch).
/// </summary>
internal sealed class OracleCorpus
{
    public const string AcmeUuid = GuardHarness.AcmeUuid;

    public static readonly OracleTable Orders = new("text", ["orders", "public.orders", "\"orders\"", "PUBLIC.\"orders\"", "Orders"],
        ["id", "tenant", "total"], 1, "id", "acme");

    public static readonly OracleTable Notes = new("text", ["app.notes", "\"app\".notes", "APP.NOTES"], ["id", "body", "tenant"], 2, "id", "acme");

    public static readonly OracleTable Invoices = new("uuid", ["\"Invoices\"", "public.\"Invoices\""], ["tenant_id", "\"Id\"", "note"], 0, "\"Id\"", AcmeUuid);

    public static readonly OracleTable Accounts = new("int", ["accounts", "public.accounts", "ACCOUNTS"], ["id", "name", "tenant"], 2, "id", "42");

    public static readonly OracleTable[] Tables = [Orders, Notes, Invoices, Accounts];

    /// <summary>Rows 1 to 5 of every table belong to the table's connection tenant.</summary>
    public const int SeedRows = 5;

    private static readonly string[] WrongTexts = ["globex", "ACME", "acme ", "acm", "", "acmé", " acme", "acme\t", "ac'me"];
    private static readonly long[] WrongIntegers = [7, -42, 420, 0, 43];

    private readonly Random _random;
    private readonly OracleLiterals _l;
    private readonly List<(string? Name, object? Value)> _parameters = [];
    private bool _allKnown;
    private bool _positional;
    private int _nextId = 1000;

    public OracleCorpus(int seed)
    {
        _random = new Random(seed);
        _l = new OracleLiterals(_random);
    }

    public OracleCase Next()
    {
        _parameters.Clear();
        _allKnown = true;
        _positional = _l.Chance(20);
        var table = _l.Pick(Tables);
        var wrong = _l.Chance(50);
        var (shape, sql) = _random.Next(10) switch
        {
            9 => ("two statements", TwoStatements(table, wrong)),
            0 or 1 => ("insert values", InsertValues(table, wrong, columnList: true, returning: true)),
            2 => ("insert values, table order", InsertValues(table, wrong, columnList: false, returning: true)),
            3 => ("insert select", InsertSelect(table, wrong)),
            4 => ("upsert", Upsert(table, wrong)),
            5 => ("update", Update(table, wrong)),
            6 => ("merge", Merge(table, wrong)),
            _ => ("cte", Cte(table, wrong)),
        };
        return new OracleCase(table, sql, [.. _parameters], _allKnown, shape);
    }

    private string InsertValues(OracleTable t, bool wrong, bool columnList, bool returning)
    {
        var columns = Enumerable.Range(0, t.Columns.Length).ToList();
        if (columnList)
        {
            columns = [.. columns.Where(c => c == t.TenantIndex || t.Columns[c] == t.IdColumn || _l.Chance(50)).OrderBy(_ => _random.Next())];
        }

        var rows = _random.Next(1, 4);
        var wrongRow = wrong ? _random.Next(rows) : -1;
        var values = Enumerable.Range(0, rows).Select(r => "(" + string.Join("," + _l.Sp(), columns.Select(c =>
            c == t.TenantIndex ? Tenant(t, r == wrongRow) : Other(t, c, NewId()))) + ")");
        return $"{_l.Kw("insert")}{_l.Sp()}{_l.Kw("into")} {Name(t)}{(columnList && _l.Chance(20) ? $" {_l.Kw("as")} x" : "")}"
            + (columnList ? $"{_l.Sp()}({string.Join(", ", columns.Select(c => Column(t, c)))})" : "")
            + $"{_l.Sp()}{_l.Kw("values")}{_l.Sp()}{string.Join("," + _l.Sp(), values)}"
            + (returning && _l.Chance(20) ? $" {_l.Kw("returning")} {t.IdColumn}" : "");
    }

    private string InsertSelect(OracleTable t, bool wrong)
    {
        // UNION resolves untyped constants to text, which only text columns accept.
        var arms = t.Key == "text" ? _random.Next(1, 4) : 1;
        var wrongArm = wrong ? _random.Next(arms) : -1;
        var selects = Enumerable.Range(0, arms).Select(a => arms > 1 && _l.Chance(30)
            ? $"{_l.Kw("values")} ({NewId().ToString(CultureInfo.InvariantCulture)}, {Tenant(t, a == wrongArm)})"
                + (_l.Chance(50) ? $", ({NewId().ToString(CultureInfo.InvariantCulture)}, {Tenant(t, false)})" : "")
            : $"{_l.Kw("select")} {NewId().ToString(CultureInfo.InvariantCulture)},{_l.Sp()}{Tenant(t, a == wrongArm)}"
                + (_l.Chance(30) ? $" {_l.Kw("as")} t" : "") + (_l.Chance(20) ? $" {_l.Kw("from")} generate_series(1, 1)" : ""));
        return $"{_l.Kw("insert into")} {Name(t)} ({t.IdColumn}, {Column(t, t.TenantIndex)}){_l.Sp()}"
            + string.Join($"{_l.Sp()}{_l.Kw("union all")}{_l.Sp()}", selects);
    }

    private string Upsert(OracleTable t, bool wrong)
    {
        var seed = _random.Next(1, SeedRows + 1);
        var insert = $"{_l.Kw("insert into")} {Name(t)} ({t.IdColumn}, {Column(t, t.TenantIndex)}) {_l.Kw("values")} ({seed}, ";
        if (_l.Chance(25))
        {
            // The proposed row is checked even when it conflicts and nothing is done.
            return insert + Tenant(t, wrong) + $"){_l.Sp()}{_l.Kw("on conflict do nothing")}";
        }

        var other = OtherColumn(t);
        var set = _l.Chance(70)
            ? $"{Column(t, t.TenantIndex)}{_l.Sp()}={_l.Sp()}{Tenant(t, wrong)}, {t.Columns[other]} = {Other(t, other, seed)}"
            : $"({t.Columns[other]}, {Column(t, t.TenantIndex)}) = {(_l.Chance(50) ? _l.Kw("row") : "")}({Other(t, other, seed)}, {Tenant(t, wrong)})";
        return insert + Tenant(t, false) + $"){_l.Sp()}{_l.Kw("on conflict")} ({t.IdColumn}) {_l.Kw("do update set")}{_l.Sp()}{set}";
    }

    private string Update(OracleTable t, bool wrong)
    {
        var seed = _random.Next(1, SeedRows + 1);
        var other = OtherColumn(t);
        var alias = _l.Chance(30) ? $" {_l.Kw("as")} u" : "";
        var set = _random.Next(3) switch
        {
            0 => $"{Column(t, t.TenantIndex)}{_l.Sp()}={_l.Sp()}{Tenant(t, wrong)}",
            1 => $"{t.Columns[other]} = {Other(t, other, seed)},{_l.Sp()}{Column(t, t.TenantIndex)} = {Tenant(t, wrong)}",
            _ => $"({t.Columns[other]}, {Column(t, t.TenantIndex)}){_l.Sp()}={_l.Sp()}{(_l.Chance(50) ? _l.Kw("row") : "")}({Other(t, other, seed)}, {Tenant(t, wrong)})",
        };
        return $"{_l.Kw("update")}{_l.Sp()}{Name(t)}{alias}{_l.Sp()}{_l.Kw("set")}{_l.Sp()}{set}{_l.Sp()}{_l.Kw("where")} {t.IdColumn} = {seed}";
    }

    private string Merge(OracleTable t, bool wrong)
    {
        var matched = _l.Chance(50);
        var id = matched ? _random.Next(1, SeedRows + 1) : NewId();
        var other = OtherColumn(t);
        var update = $"{_l.Kw("when matched then update set")}{_l.Sp()}{Column(t, t.TenantIndex)} = {Tenant(t, matched && wrong)}";
        var insert = $"{_l.Kw("when not matched then insert")} ({t.IdColumn}, {Column(t, t.TenantIndex)}, {t.Columns[other]}){_l.Sp()}"
            + $"{_l.Kw("values")} (s.sid, {Tenant(t, !matched && wrong)}, {Other(t, other, id)})";
        var clauses = _l.Chance(50) ? $"{update}{_l.Sp()}{insert}" : $"{insert}{_l.Sp()}{update}";
        return $"{_l.Kw("merge into")} {Name(t)} {_l.Kw("as")} m{_l.Sp()}{_l.Kw("using")} ({_l.Kw("values")} ({id})) {_l.Kw("as")} s(sid)"
            + $"{_l.Sp()}{_l.Kw("on")} m.{t.IdColumn} = s.sid{_l.Sp()}{clauses}";
    }

    private string TwoStatements(OracleTable t, bool wrong)
    {
        // Several statements in one command cannot use positional parameters.
        _positional = false;
        var wrongFirst = _l.Chance(50);
        var first = _l.Chance(50) ? InsertValues(t, wrong && wrongFirst, columnList: true, returning: false) : Update(t, wrong && wrongFirst);
        var second = _l.Chance(50) ? InsertValues(t, wrong && !wrongFirst, columnList: true, returning: false) : Update(t, wrong && !wrongFirst);
        return $"{first};{_l.Sp()}{second}{(_l.Chance(50) ? ";" : "")}";
    }

    private string Cte(OracleTable t, bool wrong)
    {
        var body = _l.Chance(50) ? InsertValues(t, wrong, columnList: true, returning: false) : Update(t, wrong);
        return $"{_l.Kw("with")} x {_l.Kw("as")}{_l.Sp()}({body} {_l.Kw("returning")} 1){_l.Sp()}{_l.Kw("select")} count(*) {_l.Kw("from")} x";
    }

    /// <summary>A tenant value: the connection's (or a wrong one) as a constant or parameter, or now and then an expression.</summary>
    private string Tenant(OracleTable t, bool wrong)
    {
        if (_l.Chance(8))
        {
            _allKnown = false;
            return Expression(t, wrong);
        }

        if (_l.Chance(25))
        {
            return Parameter(t, wrong);
        }

        return t.Key switch
        {
            "text" => _l.Chance(5) && t == Orders
                ? wrong ? "'globexx'::varchar(6)" : "'acmeXYZ'::varchar(4)"
                : _l.TextValue(!wrong ? "acme" : t == Notes && _l.Chance(15) ? "acme" + new string(' ', 22) : _l.Pick(WrongTexts)),
            "uuid" => _l.UuidValue(wrong ? RandomGuid() : Guid.Parse(AcmeUuid)),
            _ => _l.IntegerValue(wrong ? _l.Pick(WrongIntegers) : 42),
        };
    }

    private string Parameter(OracleTable t, bool wrong)
    {
        object value = t.Key switch
        {
            "text" => wrong ? _l.Pick(WrongTexts) : "acme",
            "uuid" => _l.Chance(70) ? (wrong ? RandomGuid() : Guid.Parse(AcmeUuid)) : _l.UuidText(wrong ? RandomGuid() : Guid.Parse(AcmeUuid)),
            _ => _l.Pick<object>(wrong ? _l.Pick(WrongIntegers) : 42L, (int)(wrong ? _l.Pick(WrongIntegers) : 42), wrong ? "7" : " 42"),
        };
        var name = "p" + _parameters.Count.ToString(CultureInfo.InvariantCulture);
        _parameters.Add((_positional ? null : _l.Pick(name, "@" + name, name), value));
        var placeholder = _positional ? "$" + _parameters.Count.ToString(CultureInfo.InvariantCulture) : _l.Pick("@", ":") + name;
        return value switch
        {
            string when t.Key == "uuid" => placeholder + "::" + _l.Kw("uuid"),
            string when t.Key == "int" => _l.Kw("cast") + "(" + placeholder + " " + _l.Kw("as") + " " + _l.Kw("integer") + ")",
            string when _l.Chance(30) => placeholder + "::" + _l.Kw("text"),
            _ => placeholder,
        };
    }

    private string Expression(OracleTable t, bool wrong) => t.Key switch
    {
        "text" => wrong
            ? _l.Pick("upper('globex')", "(select 'globex')", "coalesce(null, 'globex')", "'glo' || 'bex'")
            : _l.Pick("lower('ACME')", "'ac' || 'me'", "current_setting('dapper_tenants.tenant')", "(select 'acme')"),
        "uuid" => wrong
            ? _l.Pick("gen_random_uuid()", "(select 'b1ffcd00-0000-4000-8000-000000000002'::uuid)")
            : _l.Pick("current_setting('dapper_tenants.tenant')::uuid", "(select 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid)"),
        _ => wrong ? _l.Pick("41 + 2", "(select 7)") : _l.Pick("40 + 2", "current_setting('dapper_tenants.tenant')::int"),
    };

    private string Other(OracleTable t, int column, long id) => t.Columns[column] switch
    {
        "id" or "\"Id\"" => id.ToString(CultureInfo.InvariantCulture),
        "total" => _l.Pick("1.5", "7", "null"),
        _ => _l.Pick("'x'", "null", "E'y\\n'"),
    };

    private static int OtherColumn(OracleTable t) =>
        Enumerable.Range(0, t.Columns.Length).First(c => c != t.TenantIndex && t.Columns[c] != t.IdColumn);

    private string Name(OracleTable t) => _l.Pick(t.Names);

    private string Column(OracleTable t, int column)
    {
        var name = t.Columns[column];
        return name.StartsWith('"') ? name : _random.Next(3) switch
        {
            0 => name.ToUpperInvariant(),
            1 => "\"" + name + "\"",
            _ => name,
        };
    }

    private long NewId() => _nextId++;

    private Guid RandomGuid()
    {
        var bytes = new byte[16];
        _random.NextBytes(bytes);
        return new Guid(bytes);
    }
}
