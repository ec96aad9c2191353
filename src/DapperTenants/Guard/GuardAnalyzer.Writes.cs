namespace DapperTenants.Guard;

/// <summary>INSERT, UPDATE, upsert and MERGE: where each statement writes the tenant column, and with what.</summary>
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

    /// <summary><c>UPDATE [ONLY] t [*] [[AS] a] SET … [FROM …] [WHERE …] [RETURNING …]</c>.</summary>
    private void Update(int s, int e)
    {
        var i = s + 1;
        if (_t.IsKeyword(i, "only"))
        {
            i++;
        }

        if (!QualifiedName(ref i, out var schema, out var name))
        {
            _failed = true;
            return;
        }

        if (IsSettingsView(schema, name))
        {
            UpdateSettings(i, e);
            return;
        }

        var target = Target(schema, name);
        if (_t.IsOperator(i, "*"))
        {
            i++;
        }

        if (_t.IsKeyword(i, "as"))
        {
            i += 2;
        }
        else if (!_t.IsKeyword(i, "set") && _t.IsName(i))
        {
            i++;
        }

        if (!_t.IsKeyword(i, "set") || SetList(i + 1, e, target, WriteKind.Update, merge: false) < 0)
        {
            _failed = true;
        }
    }

    /// <summary><c>MERGE INTO t [[AS] a] USING … ON … WHEN [NOT] MATCHED [AND …] THEN {UPDATE SET … | INSERT … | DELETE | DO NOTHING} …</c>.</summary>
    private void Merge(int s, int e)
    {
        var i = s + 1;
        if (!_t.IsKeyword(i, "into"))
        {
            _failed = true;
            return;
        }

        if (_t.IsKeyword(++i, "only"))
        {
            i++;
        }

        if (!QualifiedName(ref i, out var schema, out var name))
        {
            _failed = true;
            return;
        }

        var target = Target(schema, name);
        if (_t.IsOperator(i, "*"))
        {
            i++;
        }

        if (_t.IsKeyword(i, "as"))
        {
            i += 2;
        }
        else if (!_t.IsKeyword(i, "using") && _t.IsName(i))
        {
            i++;
        }

        if (!_t.IsKeyword(i, "using"))
        {
            _failed = true;
            return;
        }

        i = FindClauseKeyword(i + 1, e, "when");
        while (i < e && !_failed)
        {
            i = MergeWhen(i, e, target);
            if (i < 0 || (i < e && !_t.IsKeyword(i, "when") && !_t.IsKeyword(i, "returning")))
            {
                _failed = true;
                return;
            }

            if (_t.IsKeyword(i, "returning"))
            {
                return;
            }
        }
    }

    private int MergeWhen(int i, int e, WriteTarget? target)
    {
        if (!_t.IsKeyword(i, "when"))
        {
            return -1;
        }

        if (_t.IsKeyword(++i, "not"))
        {
            i++;
        }

        if (!_t.IsKeyword(i, "matched"))
        {
            return -1;
        }

        if (_t.IsKeyword(++i, "by"))
        {
            if (!_t.IsKeyword(i + 1, "source") && !_t.IsKeyword(i + 1, "target"))
            {
                return -1;
            }

            i += 2;
        }

        if (_t.IsKeyword(i, "and"))
        {
            i = FindClauseKeyword(i + 1, e, "then");
        }

        if (!_t.IsKeyword(i, "then"))
        {
            return -1;
        }

        i++;
        if (_t.IsKeyword(i, "update") && _t.IsKeyword(i + 1, "set"))
        {
            return SetList(i + 2, e, target, WriteKind.MergeUpdate, merge: true);
        }

        if (_t.IsKeyword(i, "delete"))
        {
            return i + 1;
        }

        if (_t.IsKeyword(i, "do") && _t.IsKeyword(i + 1, "nothing"))
        {
            return i + 2;
        }

        return _t.IsKeyword(i, "insert") ? MergeInsert(i + 1, target) : -1;
    }

    private int MergeInsert(int i, WriteTarget? target)
    {
        var position = target?.Table.TenantColumnIndex ?? -1;
        if (_t.Is(i, SqlTokenKind.OpenParen))
        {
            var close = _t.Partner(i);
            if (!ColumnPosition(i + 1, close, target, out position))
            {
                return -1;
            }

            i = close + 1;
        }

        if (!SkipOverriding(ref i))
        {
            return -1;
        }

        if (_t.IsKeyword(i, "default") && _t.IsKeyword(i + 1, "values"))
        {
            return i + 2;
        }

        if (!_t.IsKeyword(i, "values") || !_t.Is(i + 1, SqlTokenKind.OpenParen))
        {
            return -1;
        }

        var row = _t.Partner(i + 1);
        var items = SplitCommas(i + 2, row);
        if (target is not null && position >= 0 && position < items.Count)
        {
            AddValue(target, WriteKind.MergeInsert, items[position], label: false, union: false);
        }

        return row + 1;
    }

    /// <summary>
    /// <c>col = expr</c>, <c>col = DEFAULT</c>, <c>(a, b) = (x, y)</c>, <c>(a, b) = ROW(x, y)</c> and
    /// <c>(a, b) = (SELECT …)</c>, comma-separated; returns the index where the list ends, or -1.
    /// </summary>
    private int SetList(int i, int e, WriteTarget? target, WriteKind kind, bool merge)
    {
        while (true)
        {
            var itemEnd = SetItemEnd(i, e, merge);
            if (_t.Is(i, SqlTokenKind.OpenParen))
            {
                var close = _t.Partner(i);
                var columns = Columns(i + 1, close);
                if (columns is null || !_t.IsOperator(close + 1, "="))
                {
                    return -1;
                }

                var index = target is null ? -1 : columns.FindIndex(c => c.Name == target.Table.TenantColumn);
                if (index >= 0 && !columns[index].Indirect)
                {
                    var values = RowValues(close + 2, itemEnd);
                    if (values is not null && values.Count == columns.Count)
                    {
                        AddValue(target!, kind, values[index], label: false, union: false);
                    }
                }
            }
            else if (_t.IsName(i))
            {
                var equals = FindOperator(i, itemEnd, "=");
                if (equals >= itemEnd || Columns(i, equals) is not [var column])
                {
                    return -1;
                }

                if (target is not null && column.Name == target.Table.TenantColumn && !column.Indirect)
                {
                    AddValue(target, kind, (equals + 1, itemEnd), label: false, union: false);
                }
            }
            else
            {
                return -1;
            }

            if (!_t.Is(itemEnd, SqlTokenKind.Comma) || itemEnd >= e)
            {
                return itemEnd;
            }

            i = itemEnd + 1;
        }
    }

    /// <summary>The expressions of <c>ROW(…)</c> or of a parenthesized list of two or more (not a subquery).</summary>
    private List<(int Start, int End)>? RowValues(int i, int end)
    {
        if (_t.IsKeyword(i, "row") && _t.Is(i + 1, SqlTokenKind.OpenParen) && _t.Partner(i + 1) == end - 1)
        {
            return SplitCommas(i + 2, end - 1);
        }

        if (_t.Is(i, SqlTokenKind.OpenParen) && _t.Partner(i) == end - 1 && !IsQueryStart(i + 1))
        {
            var values = SplitCommas(i + 1, end - 1);
            return values.Count >= 2 ? values : null;
        }

        return null;
    }

    /// <summary>The end of one SET item: a comma, WHERE, FROM, RETURNING (or WHEN in MERGE), outside brackets and CASE.</summary>
    private int SetItemEnd(int i, int e, bool merge)
    {
        var caseDepth = 0;
        while (i < e)
        {
            if (_t.Is(i, SqlTokenKind.Comma) && caseDepth == 0)
            {
                return i;
            }

            if (_t.Kind(i) == SqlTokenKind.Identifier)
            {
                if (_t.IsKeyword(i, "case"))
                {
                    caseDepth++;
                }
                else if (_t.IsKeyword(i, "end") && caseDepth > 0)
                {
                    caseDepth--;
                }
                else if (caseDepth == 0 && (_t.IsKeyword(i, "where") || _t.IsKeyword(i, "returning")
                    || (_t.IsKeyword(i, "from") && !_t.IsKeyword(i - 1, "distinct")) || (merge && _t.IsKeyword(i, "when"))))
                {
                    return i;
                }
            }

            i = Skip(i);
        }

        return e;
    }

    /// <summary>The first <paramref name="keyword"/> at this level, outside brackets and CASE … END; <paramref name="e"/> if none.</summary>
    private int FindClauseKeyword(int i, int e, string keyword)
    {
        var caseDepth = 0;
        while (i < e)
        {
            if (_t.IsKeyword(i, "case"))
            {
                caseDepth++;
            }
            else if (_t.IsKeyword(i, "end") && caseDepth > 0)
            {
                caseDepth--;
            }
            else if (caseDepth == 0 && _t.IsKeyword(i, keyword))
            {
                return i;
            }

            i = Skip(i);
        }

        return e;
    }

    private int FindOperator(int i, int end, string op)
    {
        while (i < end && !_t.IsOperator(i, op))
        {
            i = Skip(i);
        }

        return i;
    }

    /// <summary>Target columns: <c>name</c> with optional <c>.field</c> or <c>[subscript]</c> (which write only part of it).</summary>
    private List<(string Name, bool Indirect)>? Columns(int start, int end)
    {
        var columns = new List<(string, bool)>();
        foreach (var (a, b) in SplitCommas(start, end))
        {
            if (!_t.IsName(a))
            {
                return null;
            }

            var indirect = false;
            var k = a + 1;
            while (k < b)
            {
                if (_t.Is(k, SqlTokenKind.Dot) && _t.IsName(k + 1))
                {
                    k += 2;
                }
                else if (_t.Is(k, SqlTokenKind.OpenBracket))
                {
                    k = _t.Partner(k) + 1;
                }
                else
                {
                    return null;
                }

                indirect = true;
            }

            columns.Add((_t.Name(a)!, indirect));
        }

        return columns;
    }

    /// <summary>Where the tenant column sits in an INSERT column list: its index, -1 when absent or written only in part.</summary>
    private bool ColumnPosition(int start, int end, WriteTarget? target, out int position)
    {
        position = -1;
        var columns = Columns(start, end);
        if (columns is null)
        {
            return false;
        }

        if (target is not null)
        {
            var index = columns.FindIndex(c => c.Name == target.Table.TenantColumn);
            position = index >= 0 && !columns[index].Indirect ? index : -1;
        }

        return true;
    }
}
