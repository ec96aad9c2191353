namespace DapperTenants.Guard;

/// <summary>The statement count and transaction effects of a tokenized text, in one linear pass.</summary>
internal static class SqlTextShape
{
    public static Shape Of(SqlTokens t)
    {
        var count = 0;
        var changes = false;
        var ends = false;
        var leads = false;
        var firstEnd = t.Sql.Length;
        var atStart = true;
        for (var i = 0; i < t.Count; i++)
        {
            var kind = t.Kind(i);
            if (kind == SqlTokenKind.Semicolon)
            {
                if (count == 1 && !atStart && firstEnd == t.Sql.Length)
                {
                    firstEnd = t[i].End;
                }

                atStart = true;
                continue;
            }

            if (atStart)
            {
                atStart = false;
                count++;
                changes |= IsTransactionControl(t, i);
                ends |= EndsTransaction(t, i);
                if (count == 1)
                {
                    leads = LeadsTransaction(t, i);
                }
            }

            // Semicolons inside brackets belong to the bracket (PostgreSQL and Npgsql agree): skip the whole group.
            if (kind is SqlTokenKind.OpenParen or SqlTokenKind.OpenBracket && t.Balanced)
            {
                i = t.Partner(i);
            }
        }

        return new Shape(count, changes, ends, leads, firstEnd);
    }

    // Statements that end the transaction they run in.
    private static bool EndsTransaction(SqlTokens t, int i) =>
        t.IsKeyword(i, "commit") || t.IsKeyword(i, "end") || t.IsKeyword(i, "abort")
        || (t.IsKeyword(i, "rollback") && !RollsBackToSavepoint(t, i + 1))
        || (t.IsKeyword(i, "prepare") && t.IsKeyword(i + 1, "transaction"));

    // ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] name
    private static bool RollsBackToSavepoint(SqlTokens t, int i) =>
        t.IsKeyword(i, "to") || ((t.IsKeyword(i, "work") || t.IsKeyword(i, "transaction")) && t.IsKeyword(i + 1, "to"));

    // Statements nothing may be sent in front of: they begin a transaction or must be its first statement (BEGIN,
    // START TRANSACTION, SET TRANSACTION), or they run in an aborted transaction where anything else fails (COMMIT,
    // ROLLBACK [TO], ABORT, END, PREPARE TRANSACTION).
    private static bool LeadsTransaction(SqlTokens t, int i) =>
        t.IsKeyword(i, "begin") || t.IsKeyword(i, "start") || t.IsKeyword(i, "commit") || t.IsKeyword(i, "end")
        || t.IsKeyword(i, "rollback") || t.IsKeyword(i, "abort")
        || (t.IsKeyword(i, "prepare") && t.IsKeyword(i + 1, "transaction"))
        || (t.IsKeyword(i, "set") && (t.IsKeyword(i + 1, "transaction") || (t.IsKeyword(i + 1, "session") && t.IsKeyword(i + 2, "characteristics"))));

    private static bool IsTransactionControl(SqlTokens t, int i) =>
        t.IsKeyword(i, "begin") || t.IsKeyword(i, "start") || t.IsKeyword(i, "commit") || t.IsKeyword(i, "end")
        || t.IsKeyword(i, "rollback") || t.IsKeyword(i, "abort") || t.IsKeyword(i, "savepoint") || t.IsKeyword(i, "release")
        || (t.IsKeyword(i, "prepare") && t.IsKeyword(i + 1, "transaction"));

    /// <summary>What <see cref="Of"/> found.</summary>
    /// <param name="StatementCount">Top-level statements.</param>
    /// <param name="ChangesTransaction">Whether a statement begins, ends or rolls back (part of) a transaction.</param>
    /// <param name="EndsTransaction">Whether a statement ends the transaction it runs in (COMMIT, ROLLBACK without TO, …).</param>
    /// <param name="LeadsWithTransactionControl">Whether nothing may be sent in front of the first statement.</param>
    /// <param name="FirstStatementEnd">The offset just after the first statement's semicolon (the text's length when it has none).</param>
    internal readonly record struct Shape(int StatementCount, bool ChangesTransaction, bool EndsTransaction, bool LeadsWithTransactionControl, int FirstStatementEnd);
}
