namespace DapperTenants.Guard;

/// <summary>UPDATE, MERGE and the SET lists they share with upserts; target column lists.</summary>
internal sealed partial class GuardAnalyzer
{
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
            // Judged by the complete pass (UpdateSettings), whatever the budget.
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
            AddValue(target, WriteKind.MergeInsert, items[position], label: false);
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
                        AddValue(target!, kind, values[index], label: false);
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
                    AddValue(target, kind, (equals + 1, itemEnd), label: false);
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
