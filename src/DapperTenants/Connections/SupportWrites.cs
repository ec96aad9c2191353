using DapperTenants.Guard;

namespace DapperTenants.Connections;

/// <summary>
/// Decides which texts of a write-allowed support session travel with a write-log row: every text that may write. Only
/// a text whose every statement is a plain query (<c>SELECT</c>, <c>VALUES</c>, <c>TABLE</c>, <c>SHOW</c>, <c>WITH</c>)
/// without a keyword that writes or locks for writing is left unlogged; anything else, or anything unclear, is logged.
/// </summary>
/// <remarks>
/// This decides only what the library logs. The database decides what may write: a statement it leaves unlogged that
/// writes anyway (a function that writes, called from a query) is refused by the policies, failing closed.
/// </remarks>
internal static class SupportWrites
{
    private static readonly string[] ReadOnlyStarts = ["select", "values", "table", "show", "with"];

    private static readonly string[] WritingKeywords = ["insert", "update", "delete", "merge", "into", "copy", "call", "do", "truncate", "execute"];

    public static bool MayWrite(string? sql)
    {
        if (string.IsNullOrWhiteSpace(sql))
        {
            return true;
        }

        var t = SqlLexer.Tokenize(sql);
        if (!t.Balanced)
        {
            return true;
        }

        var atStart = true;
        var statements = 0;
        for (var i = 0; i < t.Count; i++)
        {
            var kind = t.Kind(i);
            if (kind == SqlTokenKind.Semicolon)
            {
                atStart = true;
                continue;
            }

            if (kind == SqlTokenKind.Error)
            {
                return true;
            }

            if (atStart)
            {
                atStart = false;
                statements++;
                if (kind != SqlTokenKind.OpenParen && !ReadOnlyStarts.Any(k => t.IsKeyword(i, k)))
                {
                    return true;
                }
            }

            if (WritingKeywords.Any(k => t.IsKeyword(i, k)))
            {
                return true;
            }
        }

        return statements == 0;
    }
}
