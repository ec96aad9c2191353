namespace DapperTenants.Guard;

/// <summary>The statement count and transaction effects of a tokenized text, in one linear pass.</summary>
internal static class SqlTextShape
{
    public static (int StatementCount, bool ChangesTransaction, bool LeadsWithTransactionEnd) Of(SqlTokens t)
    {
        var count = 0;
        var changes = false;
        var leads = false;
        var atStart = true;
        for (var i = 0; i < t.Count; i++)
        {
            var kind = t.Kind(i);
            if (kind == SqlTokenKind.Semicolon)
            {
                atStart = true;
                continue;
            }

            if (atStart)
            {
                atStart = false;
                count++;
                changes |= IsTransactionControl(t, i);
                if (count == 1)
                {
                    leads = EndsTransaction(t, i);
                }
            }

            // Semicolons inside brackets belong to the bracket (PostgreSQL and Npgsql agree): skip the whole group.
            if (kind is SqlTokenKind.OpenParen or SqlTokenKind.OpenBracket && t.Balanced)
            {
                i = t.Partner(i);
            }
        }

        return (count, changes, leads);
    }

    // What may run in an aborted transaction, or ends one: nothing may be sent in front of it.
    private static bool EndsTransaction(SqlTokens t, int i) =>
        t.IsKeyword(i, "commit") || t.IsKeyword(i, "end") || t.IsKeyword(i, "rollback") || t.IsKeyword(i, "abort")
        || (t.IsKeyword(i, "prepare") && t.IsKeyword(i + 1, "transaction"));

    private static bool IsTransactionControl(SqlTokens t, int i) =>
        t.IsKeyword(i, "begin") || t.IsKeyword(i, "start") || t.IsKeyword(i, "commit") || t.IsKeyword(i, "end")
        || t.IsKeyword(i, "rollback") || t.IsKeyword(i, "abort") || t.IsKeyword(i, "savepoint") || t.IsKeyword(i, "release")
        || (t.IsKeyword(i, "prepare") && t.IsKeyword(i + 1, "transaction"));
}
