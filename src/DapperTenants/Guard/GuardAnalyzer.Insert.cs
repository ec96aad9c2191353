namespace DapperTenants.Guard;

/// <summary>INSERT and upsert: where each row writes the tenant column, and with what.</summary>
internal sealed partial class GuardAnalyzer
{
    private static readonly string[] SelectListEnds = ["from", "where", "group", "having", "window", "order", "limit", "offset", "fetch", "for", "into"];

    /// <summary><c>INSERT INTO t [AS a] [(cols)] [OVERRIDING …] {DEFAULT VALUES | VALUES … | query} [ON CONFLICT …] [RETURNING …]</c>.</summary>
    private void Insert(int s, int e, int depth)
    {
        var i = s + 2;
        if (!_t.IsKeyword(s + 1, "into") || !QualifiedName(ref i, out var schema, out var name))
        {
            _failed = true;
            return;
        }

        var target = Target(schema, name);
        if (_t.IsKeyword(i, "as"))
        {
            if (!_t.IsName(++i))
            {
                _failed = true;
                return;
            }

            i++;
        }

        var tenantPosition = target?.Table.TenantColumnIndex ?? -1;
        if (_t.Is(i, SqlTokenKind.OpenParen) && !IsParenthesizedQuery(i))
        {
            var close = _t.Partner(i);
            if (!ColumnPosition(i + 1, close, target, out tenantPosition))
            {
                _failed = true;
                return;
            }

            i = close + 1;
        }

        if (!SkipOverriding(ref i))
        {
            _failed = true;
            return;
        }

        var sourceEnd = i;
        while (sourceEnd < e && !(_t.IsKeyword(sourceEnd, "on") && _t.IsKeyword(sourceEnd + 1, "conflict")) && !_t.IsKeyword(sourceEnd, "returning"))
        {
            sourceEnd = Skip(sourceEnd);
        }

        if (_t.IsKeyword(i, "default") && _t.IsKeyword(i + 1, "values"))
        {
            _failed |= i + 2 != sourceEnd;
        }
        else if (i >= sourceEnd || !IsQueryStart(i))
        {
            _failed = true;
            return;
        }
        else if (target is not null && tenantPosition >= 0)
        {
            Query(i, sourceEnd, target, tenantPosition, WriteKind.Insert, union: false, depth + 1);
        }

        i = sourceEnd;
        if (_t.IsKeyword(i, "on"))
        {
            i = OnConflict(i + 2, e, target);
        }

        _failed |= i < 0 || (i < e && !_t.IsKeyword(i, "returning"));
    }

    /// <summary>Whether the parenthesis at <paramref name="i"/> opens a query (<c>INSERT INTO t (SELECT …)</c>) rather than a column list.</summary>
    private bool IsParenthesizedQuery(int i) =>
        _t.IsKeyword(i + 1, "select") || _t.IsKeyword(i + 1, "values") || _t.IsKeyword(i + 1, "with") || _t.IsKeyword(i + 1, "table")
        || _t.Is(i + 1, SqlTokenKind.OpenParen);

    private bool SkipOverriding(ref int i)
    {
        if (!_t.IsKeyword(i, "overriding"))
        {
            return true;
        }

        if (!(_t.IsKeyword(i + 1, "system") || _t.IsKeyword(i + 1, "user")) || !_t.IsKeyword(i + 2, "value"))
        {
            return false;
        }

        i += 3;
        return true;
    }

    /// <summary>
    /// The rows a query produces: <c>VALUES</c> lists and <c>SELECT</c> lists joined by <c>UNION</c>. The tenant is
    /// the item at <paramref name="position"/> of each row. Anything else (INTERSECT, EXCEPT, TABLE, *, LIMIT after
    /// VALUES) leaves the query's values unknown.
    /// </summary>
    private void Query(int s, int e, WriteTarget target, int position, WriteKind kind, bool union, int depth)
    {
        if (depth > MaxDepth)
        {
            _failed = true;
            return;
        }

        var i = s;
        if (_t.IsKeyword(i, "with"))
        {
            i = SkipWith(i, e, depth, analyze: false);
            if (i < 0 || i >= e)
            {
                _failed = true;
                return;
            }
        }

        var arms = new List<(int Start, int End)>();
        var a = i;
        for (var k = i; k < e; k = Skip(k))
        {
            if (_t.IsKeyword(k, "intersect") || _t.IsKeyword(k, "except"))
            {
                return;
            }

            if (_t.IsKeyword(k, "union"))
            {
                arms.Add((a, k));
                if (_t.IsKeyword(k + 1, "all") || _t.IsKeyword(k + 1, "distinct"))
                {
                    k++;
                }

                a = k + 1;
            }
        }

        arms.Add((a, e));

        // Set operations resolve untyped string constants to text before the row reaches the table.
        union |= arms.Count > 1;
        foreach (var (start, end) in arms)
        {
            if (start >= end)
            {
                _failed = true;
                return;
            }

            if (_t.Is(start, SqlTokenKind.OpenParen) && _t.Partner(start) == end - 1)
            {
                Query(start + 1, end - 1, target, position, kind, union, depth + 1);
            }
            else if (_t.IsKeyword(start, "values"))
            {
                ValuesRows(start + 1, end, target, position, kind, union);
            }
            else if (_t.IsKeyword(start, "select"))
            {
                SelectList(start + 1, end, target, position, kind, union);
            }
        }
    }

    private void ValuesRows(int i, int end, WriteTarget target, int position, WriteKind kind, bool union)
    {
        var mark = _writes.Count;
        while (true)
        {
            if (!_t.Is(i, SqlTokenKind.OpenParen) || i >= end)
            {
                _failed = true;
                return;
            }

            var close = _t.Partner(i);
            var items = SplitCommas(i + 1, close);
            if (position < items.Count)
            {
                AddValue(target, kind, items[position], label: false, union);
            }

            i = close + 1;
            if (!_t.Is(i, SqlTokenKind.Comma) || i >= end)
            {
                break;
            }

            i++;
        }

        if (i != end)
        {
            // ORDER BY / LIMIT / OFFSET after VALUES: which rows remain is the database's business.
            _writes.RemoveRange(mark, _writes.Count - mark);
        }
    }

    private void SelectList(int i, int end, WriteTarget target, int position, WriteKind kind, bool union)
    {
        if (_t.IsKeyword(i, "all"))
        {
            i++;
        }
        else if (_t.IsKeyword(i, "distinct"))
        {
            i++;
            if (_t.IsKeyword(i, "on"))
            {
                if (!_t.Is(++i, SqlTokenKind.OpenParen))
                {
                    _failed = true;
                    return;
                }

                i = _t.Partner(i) + 1;
            }
        }

        var listEnd = i;
        while (listEnd < end && !IsSelectListEnd(listEnd))
        {
            listEnd = Skip(listEnd);
        }

        var items = SplitCommas(i, Math.Min(listEnd, end));
        foreach (var (a, b) in items)
        {
            // A star expands to columns the guard does not count.
            if (_t.IsOperator(b - 1, "*") && (b - 1 == a || _t.Is(b - 2, SqlTokenKind.Dot)))
            {
                return;
            }
        }

        if (position < items.Count)
        {
            AddValue(target, kind, items[position], label: true, union);
        }
    }

    private bool IsSelectListEnd(int i)
    {
        if (_t.Kind(i) != SqlTokenKind.Identifier)
        {
            return false;
        }

        foreach (var keyword in SelectListEnds)
        {
            if (_t.IsKeyword(i, keyword))
            {
                // IS [NOT] DISTINCT FROM and WITHIN GROUP sit inside expressions.
                return !(keyword == "from" && _t.IsKeyword(i - 1, "distinct")) && !(keyword == "group" && _t.IsKeyword(i - 1, "within"));
            }
        }

        return false;
    }

    /// <summary><c>[(cols) [WHERE …] | ON CONSTRAINT name] DO {NOTHING | UPDATE SET … [WHERE …]}</c>; returns where it ends, or -1.</summary>
    private int OnConflict(int i, int e, WriteTarget? target)
    {
        if (_t.Is(i, SqlTokenKind.OpenParen))
        {
            i = _t.Partner(i) + 1;
            if (_t.IsKeyword(i, "where"))
            {
                while (i < e && !_t.IsKeyword(i, "do"))
                {
                    i = Skip(i);
                }
            }
        }
        else if (_t.IsKeyword(i, "on") && _t.IsKeyword(i + 1, "constraint") && _t.IsName(i + 2))
        {
            i += 3;
        }

        if (!_t.IsKeyword(i, "do"))
        {
            return -1;
        }

        if (_t.IsKeyword(i + 1, "nothing"))
        {
            return i + 2;
        }

        if (!_t.IsKeyword(i + 1, "update") || !_t.IsKeyword(i + 2, "set"))
        {
            return -1;
        }

        i = SetList(i + 3, e, target, WriteKind.Upsert, merge: false);
        while (i >= 0 && i < e && !_t.IsKeyword(i, "returning"))
        {
            i = Skip(i);
        }

        return i;
    }
}
