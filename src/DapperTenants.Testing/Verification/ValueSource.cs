using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace DapperTenants.Testing.Verification;

/// <summary>
/// Values, as text for a cast, for the columns a seeded row must fill: each call a fresh one, so that two rows never
/// collide on a unique column. Types it does not know yield <see langword="null"/>: the table is then not verified.
/// </summary>
internal sealed partial class ValueSource
{
    private long _next = RandomNumberGenerator.GetInt32(1_000, 20_000);

    /// <summary>A fresh tenant value for a tenant column of <paramref name="type"/> (as <c>format_type</c> prints it).</summary>
    public static string FreshTenant(string type)
    {
        var value = type switch
        {
            "uuid" => Guid.NewGuid().ToString(),
            "smallint" => RandomNumberGenerator.GetInt32(20_000, 32_767).ToString(CultureInfo.InvariantCulture),
            "integer" => RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString(CultureInfo.InvariantCulture),
            "bigint" => (1_000_000_000_000L + RandomNumberGenerator.GetInt32(0, int.MaxValue)).ToString(CultureInfo.InvariantCulture),
            _ => "dtv" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant(),
        };
        return Length(type) is { } length && value.Length > length ? value[..length] : value;
    }

    /// <summary>A fresh value for a column of <paramref name="type"/>, or <see langword="null"/> when the verifier cannot make one.</summary>
    public string? Next(string type)
    {
        var n = ++_next;
        var i = n.ToString(CultureInfo.InvariantCulture);
        if (type.EndsWith("[]", StringComparison.Ordinal))
        {
            return "{}";
        }

        var baseType = type.Split('(')[0].Trim();
        return baseType switch
        {
            "text" or "name" or "citext" => "v" + i,
            "character varying" or "character" or "varchar" or "char" => Fit("v" + i, Length(type) ?? 1),
            "smallint" => (n % 32_000).ToString(CultureInfo.InvariantCulture),
            "integer" or "bigint" or "real" or "double precision" or "money" => i,
            "numeric" => Numeric(type, n),
            "boolean" => "true",
            "uuid" => Guid.NewGuid().ToString(),
            "date" => new DateOnly(2000, 1, 1).AddDays((int)(n % 3_000_000)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            "timestamp without time zone" or "timestamp with time zone" or "timestamp" =>
                new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(n).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
            "time without time zone" or "time with time zone" or "time" => TimeOnly.FromTimeSpan(TimeSpan.FromSeconds(n % 86_400)).ToString("HH:mm:ss", CultureInfo.InvariantCulture),
            "interval" => i + " seconds",
            "json" or "jsonb" => "{\"v\": " + i + "}",
            "bytea" => "\\x" + n.ToString("x16", CultureInfo.InvariantCulture),
            "inet" => $"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}",
            _ => null,
        };
    }

    /// <summary>The declared length of <c>character varying(n)</c> or <c>character(n)</c>, else <see langword="null"/>.</summary>
    private static int? Length(string type) => type.StartsWith("character", StringComparison.Ordinal) && LengthPattern().Match(type) is { Success: true } m
        ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
        : null;

    private static string Fit(string value, int length) => value.Length <= length ? value : value[^length..];

    private static string Numeric(string type, long n)
    {
        var m = PrecisionPattern().Match(type);
        if (!m.Success)
        {
            return n.ToString(CultureInfo.InvariantCulture);
        }

        var digits = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) - int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        return digits <= 0 ? "0" : (n % (long)Math.Pow(10, Math.Min(digits, 18))).ToString(CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"\((\d+)\)$")]
    private static partial Regex LengthPattern();

    [GeneratedRegex(@"^numeric\((\d+),(\d+)\)$")]
    private static partial Regex PrecisionPattern();
}
