namespace DapperTenants.Guard;

/// <summary>The type a UNION gives the tenant column, and what that does to each value on the way.</summary>
internal sealed partial class GuardAnalyzer
{
    private enum UnionType
    {
        Unknown,
        String,
        Bpchar,
        Integer,
        Uuid,
        Other,
    }

    /// <summary>
    /// A UNION resolves its column's type pair by pair, left to right, like PostgreSQL: two untyped constants become
    /// text, an untyped constant takes the other side's type, and of two string types the left one stays. A VALUES
    /// arm first resolves its own rows (untyped constants alone become text). Each value is converted at every step
    /// it passes through, which matters for <c>character</c>: text made from it drops trailing spaces. Values of
    /// unrelated types are an error, left to the database.
    /// </summary>
    private void Union(WriteTarget target, WriteKind kind, List<List<(int Start, int End, bool Label)>> arms)
    {
        var values = new List<List<ValueExpression>>();
        var armTypes = new List<UnionType>();
        foreach (var items in arms)
        {
            var armValues = new List<ValueExpression>();
            var armType = UnionType.Unknown;
            foreach (var (start, end, label) in items)
            {
                if (ParseValue(start, end, label) is not { } value)
                {
                    return;
                }

                armValues.Add(value);
                armType = armType == UnionType.Unknown ? TypeOf(value) : Common(armType, TypeOf(value));
            }

            // A VALUES list resolves on its own (one row or many): untyped constants alone become text.
            if (items.Count > 0 && !items[0].Label && armType == UnionType.Unknown)
            {
                armType = UnionType.String;
            }

            if (armType == UnionType.Other)
            {
                return;
            }

            values.Add(armValues);
            armTypes.Add(armType);
        }

        // nodes[k] is the type of the union of arms 0..k.
        var nodes = new UnionType[armTypes.Count];
        nodes[0] = armTypes[0];
        for (var k = 1; k < armTypes.Count; k++)
        {
            nodes[k] = nodes[k - 1] == UnionType.Unknown && armTypes[k] == UnionType.Unknown ? UnionType.String : Common(nodes[k - 1], armTypes[k]);
            if (nodes[k] == UnionType.Other)
            {
                return;
            }
        }

        // After the first pair the union's type no longer changes, so the conversions of arm k are the distinct runs of
        // nodes[max(k, 1)..]: a handful per arm, which keeps a union of n arms linear.
        var runs = new List<(int Start, PgType Type)>();
        for (var j = 1; j < nodes.Length; j++)
        {
            var type = ToType(nodes[j]);
            if (runs.Count == 0 || runs[^1].Type != type)
            {
                runs.Add((j, type));
            }
        }

        var run = 0;
        for (var k = 0; k < values.Count; k++)
        {
            while (run + 1 < runs.Count && runs[run + 1].Start <= k)
            {
                run++;
            }

            // Converting a value twice to the same type is converting it once.
            var steps = new List<PgType>(runs.Count - run + 1);
            if (armTypes[k] != UnionType.Unknown)
            {
                steps.Add(ToType(armTypes[k]));
            }

            for (var r = run; r < runs.Count; r++)
            {
                if (steps.Count == 0 || steps[^1] != runs[r].Type)
                {
                    steps.Add(runs[r].Type);
                }
            }

            foreach (var value in values[k])
            {
                AddParsed(target, kind, value, steps);
            }
        }
    }

    private static UnionType TypeOf(ValueExpression value) => value.Casts.Count > 0
        ? value.Casts[^1].Family switch
        {
            PgTypeFamily.Text => UnionType.String,
            PgTypeFamily.Bpchar => UnionType.Bpchar,
            PgTypeFamily.Int16 or PgTypeFamily.Int32 or PgTypeFamily.Int64 => UnionType.Integer,
            PgTypeFamily.Uuid => UnionType.Uuid,
            _ => UnionType.Other,
        }
        : value.Parameter is not null ? UnionType.String
        : value.Constant.Kind == PgValueKind.Integer ? UnionType.Integer
        : UnionType.Unknown;

    /// <summary>The common type of two (not both untyped): the typed one, or of two string types the left one.</summary>
    private static UnionType Common(UnionType left, UnionType right) =>
        left == UnionType.Unknown ? right
        : right == UnionType.Unknown || left == right || (left is UnionType.String or UnionType.Bpchar && right is UnionType.String or UnionType.Bpchar) ? left
        : UnionType.Other;

    private static PgType ToType(UnionType type) => type switch
    {
        UnionType.Bpchar => new PgType(PgTypeFamily.Bpchar),
        UnionType.Integer => new PgType(PgTypeFamily.Int64),
        UnionType.Uuid => new PgType(PgTypeFamily.Uuid),
        _ => PgType.Text,
    };
}
