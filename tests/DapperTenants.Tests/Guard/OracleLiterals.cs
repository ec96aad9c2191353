using System.Globalization;
using System.Text;

namespace DapperTenants.Tests.Guard;

/// <summary>Writes one value in a random one of PostgreSQL's many spellings, and the SQL noise around it.</summary>
internal sealed class OracleLiterals
{
    private static readonly string[] Spaces = [" ", "  ", "\n", "\t", " /* c */ ", " /* a /* nested */ b */ ", " -- note\n", "\r\n  "];

    private readonly Random _random;

    public OracleLiterals(Random random)
    {
        _random = random;
    }

    public bool Chance(int percent) => _random.Next(100) < percent;

    public T Pick<T>(params T[] items) => items[_random.Next(items.Length)];

    /// <summary>Whitespace or comments between tokens.</summary>
    public string Sp() => Chance(70) ? " " : Pick(Spaces);

    /// <summary>A keyword in random case.</summary>
    public string Kw(string keyword) => _random.Next(3) switch
    {
        0 => keyword.ToLowerInvariant(),
        1 => keyword.ToUpperInvariant(),
        _ => new string(keyword.Select(c => Chance(50) ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c)).ToArray()),
    };

    /// <summary>A string constant with value <paramref name="value"/>, in any form PostgreSQL reads as that text.</summary>
    public string StringConstant(string value) => _random.Next(8) switch
    {
        0 => Plain(value),
        1 => Escape(value),
        2 => Unicode(value, '\\'),
        3 => Unicode(value, '!') + Sp() + Kw("uescape") + Sp() + "'!'",
        4 when !value.Contains('$', StringComparison.Ordinal) => "$$" + value + "$$",
        5 when !value.Contains("$q", StringComparison.Ordinal) => "$q$" + value + "$q$",
        6 when value.Length >= 2 => Continued(value),
        _ => Plain(value),
    };

    /// <summary>A text value: a string constant, perhaps cast to a text type, in parentheses or a typed constant.</summary>
    public string TextValue(string value) => _random.Next(10) switch
    {
        0 => StringConstant(value) + "::" + Kw(Pick("text", "varchar", "character varying", "pg_catalog.text", "varchar(30)")),
        1 => Kw("cast") + "(" + StringConstant(value) + Sp() + Kw("as") + Sp() + Kw(Pick("text", "varchar(30)", "character varying")) + ")",
        2 => Kw(Pick("text", "varchar", "character varying")) + " " + Plain(value),
        3 => "(" + StringConstant(value) + ")",
        4 when Chance(40) => Pick("N", "n") + Plain(value),
        5 when Chance(40) => StringConstant(value) + "::" + Kw(Pick("bpchar", "char(30)", "character(30)", "national character(30)")),
        _ => StringConstant(value),
    };

    public string UuidText(Guid value)
    {
        var d = value.ToString("D", CultureInfo.InvariantCulture);
        var n = value.ToString("N", CultureInfo.InvariantCulture);
        var text = _random.Next(5) switch
        {
            0 => d,
            1 => d.ToUpperInvariant(),
            2 => "{" + d + "}",
            3 => n,
            _ => string.Join("-", Enumerable.Range(0, 8).Select(k => n.Substring(k * 4, 4))),
        };
        return Chance(30) ? new string(text.Select(c => Chance(50) ? char.ToUpperInvariant(c) : c).ToArray()) : text;
    }

    public string UuidValue(Guid value) => _random.Next(5) switch
    {
        0 => StringConstant(UuidText(value)) + "::" + Kw(Pick("uuid", "pg_catalog.uuid")),
        1 => Kw("cast") + "(" + StringConstant(UuidText(value)) + " " + Kw("as") + " " + Kw("uuid") + ")",
        2 => Kw("uuid") + " " + Plain(UuidText(value)),
        _ => StringConstant(UuidText(value)),
    };

    public string IntegerValue(long value)
    {
        var digits = Math.Abs(value).ToString(CultureInfo.InvariantCulture);
        var literal = value < 0 ? "-" + digits : digits;
        return _random.Next(8) switch
        {
            0 => StringConstant(Pick(literal, " " + literal, (value < 0 ? "-0" : "+0") + digits, literal + " ")),
            1 => literal + "::" + Kw(Pick("int", "integer", "bigint", "int4", "int8")),
            2 => Kw("cast") + "(" + Plain(literal) + " " + Kw("as") + " " + Kw(Pick("integer", "smallint", "bigint")) + ")",
            3 => Kw(Pick("int4", "integer", "int8")) + " " + Plain(literal),
            4 => "(" + literal + ")",
            _ => value < 0 && Chance(50) ? "- " + digits : literal,
        };
    }

    public static string Plain(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private string Escape(string value)
    {
        var builder = new StringBuilder(_random.Next(2) == 0 ? "E'" : "e'");
        foreach (var c in value)
        {
            builder.Append(c switch
            {
                '\'' => Pick("''", "\\'"),
                '\\' => "\\\\",
                '\t' => "\\t",
                < (char)128 when char.IsLetterOrDigit(c) || c == ' ' => _random.Next(4) switch
                {
                    0 => $"\\x{(int)c:x2}",
                    1 => "\\" + Convert.ToString(c, 8).PadLeft(3, '0'),
                    2 => $"\\u{(int)c:X4}",
                    _ => c.ToString(),
                },
                _ => Chance(50) ? $"\\u{(int)c:x4}" : c.ToString(),
            });
        }

        return builder.Append('\'').ToString();
    }

    private string Unicode(string value, char escape)
    {
        var builder = new StringBuilder(_random.Next(2) == 0 ? "U&'" : "u&'");
        foreach (var c in value)
        {
            if (c == escape)
            {
                builder.Append(escape).Append(escape);
            }
            else if (c == '\'')
            {
                builder.Append("''");
            }
            else if (Chance(40))
            {
                builder.Append(Chance(50) ? $"{escape}{(int)c:X4}" : $"{escape}+{(int)c:x6}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.Append('\'').ToString();
    }

    private string Continued(string value)
    {
        var cut = _random.Next(1, value.Length);
        return Plain(value[..cut]) + Pick("\n", "\n  ", "  -- continued\n", "\r\n") + Plain(value[cut..]);
    }
}
