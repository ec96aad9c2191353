using DapperTenants.Guard;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Guard;

[Category(Categories.Unit)]
public sealed class SqlLiteralsTests
{
    // Each case: a string constant → its value, or null where PostgreSQL raises an error.
    private static readonly object?[] Cases =
    [
        new object?[] { "'acme'", "acme" },
        new object?[] { "'it''s'", "it's" },
        new object?[] { "''", "" },
        new object?[] { "'ac'\n'me'", "acme" },
        new object?[] { "'ac' -- c\n\n 'me'", "acme" },
        new object?[] { "'a\\nb'", "a\\nb" },
        new object?[] { "E'a\\nb\\tc'", "a\nb\tc" },
        new object?[] { "E'\\b\\f\\r'", "\b\f\r" },
        new object?[] { "E'\\x41\\101\\u0041\\U00000041'", "AAAA" },
        new object?[] { "E'\\q\\'\\\\'", "q'\\" },
        new object?[] { "E'it''s'", "it's" },
        new object?[] { "E'\\xZZ'", "xZZ" },
        new object?[] { "E'\\xc3\\xa9'", "é" },
        new object?[] { "E'\\uD83D\\uDE00'", "😀" },
        new object?[] { "E'\\v'", "v" },
        new object?[] { "E'a'\n'\\x62'", "ab" },
        new object?[] { "E'\\xff'", null },
        new object?[] { "E'\\000'", null },
        new object?[] { "E'\\uD83D'", null },
        new object?[] { "E'\\u12'", null },
        new object?[] { "U&'d\\0061t\\+000061'", "data" },
        new object?[] { "U&'d!0061t' UESCAPE '!'", "dat" },
        new object?[] { "U&'a\\\\b'", "a\\b" },
        new object?[] { "U&'\\D83D\\DE00'", "😀" },
        new object?[] { "U&'it''s'", "it's" },
        new object?[] { "U&'\\zz'", null },
        new object?[] { "U&'\\0000'", null },
        new object?[] { "U&'x' UESCAPE '+'", null },
        new object?[] { "$$it's$$", "it's" },
        new object?[] { "$q$a$$b$q$", "a$$b" },
        new object?[] { "N'acme'", "acme" },
    ];

    [TestCaseSource(nameof(Cases))]
    public void Decodes_string_constants_like_PostgreSQL(string sql, string? expected) =>
        SqlLiterals.DecodeString(SqlLexer.Tokenize(sql), 0).ShouldBe(expected);
}
