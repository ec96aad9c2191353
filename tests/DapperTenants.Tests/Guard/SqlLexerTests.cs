using DapperTenants.Guard;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Guard;

[Category(Categories.Unit)]
public sealed class SqlLexerTests
{
    // Each case: SQL → the tokens PostgreSQL's lexer (plus Npgsql's placeholder rule) produces, as Kind:text.
    private static readonly object[] Cases =
    [
        new object[] { "select 1", "Identifier:select Integer:1" },
        new object[] { "SELECT\t\r\n\f 1", "Identifier:SELECT Integer:1" },
        new object[] { "a -- comment ; 'x'\nb", "Identifier:a Identifier:b" },
        new object[] { "a --", "Identifier:a" },
        new object[] { "a /* one /* two */ still one */ b", "Identifier:a Identifier:b" },
        new object[] { "a /**/b/***/c", "Identifier:a Identifier:b Identifier:c" },
        new object[] { "a /* /* */", "Identifier:a Error:/* /* */" },
        new object[] { "a /*/ b */ c", "Identifier:a Identifier:c" },
        new object[] { "\"Quoted \"\"id\"\"\"", "QuotedIdentifier:\"Quoted \"\"id\"\"\"" },
        new object[] { "\"\"", "Error:\"\"" },
        new object[] { "\"open", "Error:\"open" },
        new object[] { "'it''s'", "String:'it''s'" },
        new object[] { "'a'\n'b'", "String:'a'\n'b'" },
        new object[] { "'a' -- note\n  'b'", "String:'a' -- note\n  'b'" },
        new object[] { "'a' 'b'", "String:'a' String:'b'" },
        new object[] { "'a' /* c */\n'b'", "String:'a' String:'b'" },
        new object[] { "'open", "Error:'open" },
        new object[] { "E'\\''", "EscapeString:E'\\''" },
        new object[] { "e'a\\\\' x", "EscapeString:e'a\\\\' Identifier:x" },
        new object[] { "E'\\", "Error:E'\\" },
        new object[] { "E'a'\n'b'", "EscapeString:E'a'\n'b'" },
        new object[] { "U&'d\\0061t'", "UnicodeString:U&'d\\0061t'" },
        new object[] { "u&'d!0061t' UESCAPE '!'", "UnicodeString:u&'d!0061t' UESCAPE '!'" },
        new object[] { "U&'x' /* c */ uescape\n'!' y", "UnicodeString:U&'x' /* c */ uescape\n'!' Identifier:y" },
        new object[] { "U&'x' UESCAPE", "Error:U&'x' UESCAPE" },
        new object[] { "U&\"d\\0061t\"", "UnicodeIdentifier:U&\"d\\0061t\"" },
        new object[] { "U&x", "Identifier:U Operator:& Identifier:x" },
        new object[] { "$$a$b$$", "DollarString:$$a$b$$" },
        new object[] { "$tag$ $$ $ta $tag$", "DollarString:$tag$ $$ $ta $tag$" },
        new object[] { "$tag$open", "Error:$tag$open" },
        new object[] { "$a", "Other:$ Identifier:a" },
        new object[] { "$1 $23", "Positional:$1 Positional:$23" },
        new object[] { "$1a", "Error:$1a" },
        new object[] { "a$b $c", "Identifier:a$b Other:$ Identifier:c" },
        new object[] { "B'101' X'1F' N'x'", "BitString:B'101' HexString:X'1F' NationalString:N'x'" },
        new object[] { "1 1.5 .5 1. 1e10 1.5E-3", "Integer:1 Numeric:1.5 Numeric:.5 Numeric:1. Numeric:1e10 Numeric:1.5E-3" },
        new object[] { "1..2", "Integer:1 DotDot:.. Integer:2" },
        new object[] { "123abc", "Error:123abc" },
        new object[] { "0x1F", "Error:0x1F" },
        new object[] { "1e", "Error:1e" },
        new object[] { "a::text", "Identifier:a DoubleColon::: Identifier:text" },
        new object[] { "x := 1", "Identifier:x ColonEquals::= Integer:1" },
        new object[] { "@p :p @p.x @Über_1", "Named:@p Named::p Named:@p.x Named:@Über_1" },
        new object[] { "a@b", "Identifier:a Named:@b" },
        new object[] { "a @> b", "Identifier:a Operator:@> Identifier:b" },
        new object[] { "@@p", "Operator:@@ Identifier:p" },
        new object[] { "a >@p", "Identifier:a Operator:> Named:@p" },
        new object[] { "@ 5", "Operator:@ Integer:5" },
        new object[] { "a[1:n]", "Identifier:a OpenBracket:[ Integer:1 Named::n CloseBracket:]" },
        new object[] { "a[1: 2]", "Identifier:a OpenBracket:[ Integer:1 Colon:: Integer:2 CloseBracket:]" },
        new object[] { "=-1", "Operator:= Operator:- Integer:1" },
        new object[] { "a<>-1", "Identifier:a Operator:<> Operator:- Integer:1" },
        new object[] { "a@-1", "Identifier:a Operator:@- Integer:1" },
        new object[] { "a=>b", "Identifier:a Operator:=> Identifier:b" },
        new object[] { "*/*c*/", "Operator:*" },
        new object[] { "=--c\n1", "Operator:= Integer:1" },
        new object[] { "f(a, b[1]);", "Identifier:f OpenParen:( Identifier:a Comma:, Identifier:b OpenBracket:[ Integer:1 CloseBracket:] CloseParen:) Semicolon:;" },
        new object[] { "s.t", "Identifier:s Dot:. Identifier:t" },
        new object[] { "café $é", "Identifier:café Other:$ Identifier:é" },
        new object[] { "\\ {", "Other:\\ Other:{" },
    ];

    [TestCaseSource(nameof(Cases))]
    public void Lexes_like_PostgreSQL(string sql, string expected) => Render(sql).ShouldBe(expected);

    [Test]
    public void Brackets_know_their_partners()
    {
        var tokens = SqlLexer.Tokenize("f((a)[1], ')')");
        tokens.Balanced.ShouldBeTrue();
        tokens.Partner(1).ShouldBe(tokens.Count - 1);
        tokens.Partner(2).ShouldBe(4);
        tokens.Partner(5).ShouldBe(7);
    }

    [TestCase("f(a")]
    [TestCase("f(a]")]
    [TestCase("a)")]
    [TestCase("f(a; b)")]
    public void Unbalanced_brackets_are_noticed(string sql) => SqlLexer.Tokenize(sql).Balanced.ShouldBeFalse();

    [TestCase("select", "select", true)]
    [TestCase("SeLeCt", "select", true)]
    [TestCase("\"select\"", "select", false)]
    [TestCase("ſelect", "select", false)]
    public void Keywords_are_unquoted_ASCII_case_insensitive(string sql, string keyword, bool expected) =>
        SqlLexer.Tokenize(sql).IsKeyword(0, keyword).ShouldBe(expected);

    [TestCase("Orders", "orders")]
    [TestCase("\"Orders\"", "Orders")]
    [TestCase("\"a\"\"b\"", "a\"b")]
    [TestCase("ÄBC", "Äbc")]
    [TestCase("U&\"\\0041b\"", "Ab")]
    [TestCase("U&\"!0041b\" UESCAPE '!'", "Ab")]
    public void Names_are_folded_and_decoded(string sql, string expected) => SqlLexer.Tokenize(sql).Name(0).ShouldBe(expected);

    [Test]
    public void Names_are_truncated_to_63_bytes_like_PostgreSQL()
    {
        SqlLexer.Tokenize(new string('a', 70)).Name(0).ShouldBe(new string('a', 63));
        SqlLexer.Tokenize(new string('é', 40)).Name(0).ShouldBe(new string('é', 31));
    }

    private static string Render(string sql)
    {
        var tokens = SqlLexer.Tokenize(sql);
        var parts = new List<string>();
        for (var i = 0; i < tokens.Count; i++)
        {
            parts.Add($"{tokens[i].Kind}:{tokens.Text(i).ToString()}");
        }

        return string.Join(" ", parts);
    }
}
