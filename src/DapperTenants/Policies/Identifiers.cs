using System.Globalization;
using System.Text;

namespace DapperTenants.Policies;

/// <summary>Quoting, naming conventions and the limits PostgreSQL puts on identifiers.</summary>
internal static class Identifiers
{
    /// <summary>NAMEDATALEN - 1: PostgreSQL silently truncates longer identifiers, so two long names could collide.</summary>
    public const int MaxBytes = 63;

    /// <summary>Quotes an identifier, always, so case, reserved words and punctuation survive.</summary>
    public static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string Qualify(string schema, string name) => Quote(schema) + "." + Quote(name);

    /// <summary>A SQL string literal.</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>What is wrong with an identifier, as the end of a sentence, or <see langword="null"/> when PostgreSQL accepts it.</summary>
    public static string? Problem(string name)
    {
        if (name.Length == 0)
        {
            return "is empty; PostgreSQL identifiers need at least one character";
        }

        if (name.Contains('\0', StringComparison.Ordinal))
        {
            return "contains a NUL character, which PostgreSQL identifiers cannot hold";
        }

        var bytes = Encoding.UTF8.GetByteCount(name);
        return bytes > MaxBytes
            ? string.Create(CultureInfo.InvariantCulture, $"is {bytes} bytes long; PostgreSQL identifiers are at most {MaxBytes} bytes and longer ones are silently truncated")
            : null;
    }

    /// <summary>A name for messages: quoted, with NUL shown as <c>\0</c>.</summary>
    public static string Display(string name) => "\"" + name.Replace("\0", "\\0", StringComparison.Ordinal) + "\"";

    /// <summary><c>CustomerData</c> → <c>customer_data</c>, <c>HTTPRequest</c> → <c>http_request</c>; never pluralized.</summary>
    public static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var previous = i > 0 ? name[i - 1] : '\0';
                var next = i + 1 < name.Length ? name[i + 1] : '\0';
                if (i > 0 && previous != '_' && (char.IsLower(previous) || char.IsDigit(previous) || (char.IsUpper(previous) && char.IsLower(next))))
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
