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
            Query(i, sourceEnd, target, tenantPosition, WriteKind.Insert, depth + 1);
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
    /// The rows a query produces: <c>VALUES</c> lists and <c>SELECT</c> lists, joined by <c>UNION</c>. The tenant is
    /// the item at <paramref name="position"/> of each row. Anything else (INTERSECT, EXCEPT, TABLE, *, LIMIT after
    /// VALUES, a union whose column type the guard cannot resolve) leaves the query's values to the database.
    /// </summary>
    private void Query(int s, int e, WriteTarget target, int position, WriteKind kind, int depth)
    {
        if (depth > MaxDepth || !_sink.Spend(e - s))
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
        if (arms.Count == 1 && _t.Is(a, SqlTokenKind.OpenParen) && _t.Partner(a) == e - 1)
        {
            Query(a + 1, e - 1, target, position, kind, depth + 1);
            return;
        }

        var armItems = new List<List<(int Start, int End, bool Label)>>();
        foreach (var arm in arms)
        {
            var items = new List<(int Start, int End, bool Label)>();
            if (!TenantItems(arm.Start, arm.End, position, items))
            {
                return;
            }

            armItems.Add(items);
        }

        if (arms.Count == 1)
        {
            // INSERT coerces each row's values to the column's type directly.
            foreach (var (start, end, label) in armItems[0])
            {
                AddValue(target, kind, (start, end), label);
            }

            return;
        }

        Union(target, kind, armItems);
    }

    /// <summary>Collects the tenant item of each row of a VALUES or SELECT arm; false when the rows cannot be told.</summary>
    private bool TenantItems(int start, int end, int position, List<(int Start, int End, bool Label)> items)
    {
        if (_t.IsKeyword(start, "values"))
        {
            var i = start + 1;
            while (_t.Is(i, SqlTokenKind.OpenParen) && i < end)
            {
                var close = _t.Partner(i);
                if (Item(i + 1, close, position) is { } item)
                {
                    items.Add((item.Start, item.End, false));
                }

                i = close + 1;
                if (!_t.Is(i, SqlTokenKind.Comma) || i >= end)
                {
                    break;
                }

                i++;
            }

            // ORDER BY / LIMIT / OFFSET after VALUES: which rows remain is the database's business.
            return i == end;
        }

        if (!_t.IsKeyword(start, "select"))
        {
            return false;
        }

        var j = start + 1;
        if (_t.IsKeyword(j, "all"))
        {
            j++;
        }
        else if (_t.IsKeyword(j, "distinct"))
        {
            j++;
            if (_t.IsKeyword(j, "on") && _t.Is(j + 1, SqlTokenKind.OpenParen))
            {
                j = _t.Partner(j + 1) + 1;
            }
        }

        var listEnd = j;
        while (listEnd < end && !IsSelectListEnd(listEnd))
        {
            listEnd = Skip(listEnd);
        }

        var list = SplitCommas(j, Math.Min(listEnd, end));
        foreach (var (a, b) in list)
        {
            // A star expands to columns the guard does not count.
            if (_t.IsOperator(b - 1, "*") && (b - 1 == a || _t.Is(b - 2, SqlTokenKind.Dot)))
            {
                return false;
            }
        }

        if (position < list.Count)
        {
            items.Add((list[position].Start, list[position].End, true));
        }

        return true;
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
