using System.Globalization;
using System.Text;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// One worst case of scenario 4: a text built to stress one part of the guard, at a size of <see cref="Units"/>
/// repetitions of its unit. The same shape at three sizes shows whether the cost per unit stays flat (linear).
/// </summary>
public sealed class GuardWorstCase
{
    private GuardWorstCase(string shape, string unit, int units, bool allowDynamicSql, Func<int, string> build)
    {
        Shape = shape;
        Unit = unit;
        Units = units;
        AllowDynamicSql = allowDynamicSql;
        Sql = build(units);
    }

    /// <summary>
    /// parentheses (around a tenant value), CTEs (nested WITH), UNION arms and VALUES rows (into a protected table),
    /// INSERTs and SET ROLEs (statements in one text), semicolons, string (a long constant), query text (a long constant
    /// given to query_to_xml, read as SQL), DO strings (a DO body of PERFORM statements, each string read as SQL).
    /// </summary>
    public string Shape { get; }

    /// <summary>What one repetition is (an arm, a row, a statement, a character, a nesting level).</summary>
    public string Unit { get; }

    public int Units { get; }

    /// <summary>Whether the guard is built with <c>AllowDynamicSql</c> (the DO body case: otherwise the block is refused unread).</summary>
    public bool AllowDynamicSql { get; }

    public string Sql { get; }

    /// <summary>Every shape at 1,000, 10,000 and 100,000 units (10 KB, 100 KB and 1 MB for the character-sized ones).</summary>
    public static IEnumerable<GuardWorstCase> All()
    {
        foreach (var scale in (int[])[1, 10, 100])
        {
            var n = 1_000 * scale;
            yield return new("parentheses", "level", n, false, k =>
                "insert into orders (id, tenant) values (1, " + new string('(', k) + "'t0001'" + new string(')', k) + ")");
            yield return new("CTEs", "level", n, false, k =>
                Repeat("with x as (", k) + "select 1" + Repeat(") select * from x", k));
            yield return new("UNION arms", "arm", n, false, k =>
                "insert into orders (id, tenant) " + Join(" union all ", k, i => $"select {i}, 't0001'"));
            yield return new("VALUES rows", "row", n, false, k =>
                "insert into orders (id, tenant) values " + Join(", ", k, i => $"({i}, 't0001')"));
            yield return new("INSERTs", "statement", n, false, k =>
                Repeat("insert into orders (id, tenant, total) values (@Id, @Tenant, 1); ", k));
            yield return new("SET ROLEs", "statement", n, false, k => Repeat("set role postgres; ", k));
            yield return new("semicolons", "character", 10 * n, false, k => new string(';', k));
            yield return new("string", "character", 10 * n, false, k => "select '" + new string('x', k) + "'");
            yield return new("query text", "character", 10 * n, false, k =>
                "select query_to_xml('select ''" + new string('x', k) + "''', false, false, '')");
            yield return new("DO strings", "statement", n / 10, true, k =>
                "do $$ begin " + Repeat("perform 'select 1 from orders';", k) + " end $$");
        }
    }

    /// <summary>Short enough for BenchmarkDotNet's parameter column (20 characters).</summary>
    public override string ToString() => $"{Shape} {Units.ToString("N0", CultureInfo.InvariantCulture)}";

    private static string Repeat(string value, int count) => new StringBuilder(value.Length * count).Insert(0, value, count).ToString();

    private static string Join(string separator, int count, Func<int, string> item)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            builder.Append(i == 0 ? string.Empty : separator).Append(item(i));
        }

        return builder.ToString();
    }
}
