namespace DapperTenants.Guard;

/// <summary>The statement count and transaction effects of a tokenized text, in one linear pass.</summary>
internal static class SqlTextShape
{
    public static Shape Of(SqlTokens t)
    {
        var count = 0;
        var changes = false;
        var ends = false;
        var leading = 0;
        var inLeadingRun = true;
        var runEnd = t.Sql.Length;
        var atStart = true;
        for (var i = 0; i < t.Count; i++)
        {
            var kind = t.Kind(i);
            if (kind == SqlTokenKind.Semicolon)
            {
                if (!atStart && inLeadingRun && leading == count)
                {
                    runEnd = t[i].End;
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
                if (inLeadingRun && LeadsTransaction(t, i))
                {
                    leading++;
                }
                else
                {
                    inLeadingRun = false;
                }
            }

            // Semicolons inside brackets belong to the bracket (PostgreSQL and Npgsql agree): skip the whole group.
            if (kind is SqlTokenKind.OpenParen or SqlTokenKind.OpenBracket && t.Balanced)
            {
                i = t.Partner(i);
            }
        }

        return new Shape(count, changes, ends, leading, leading > 0 && leading < count ? runEnd : t.Sql.Length);
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
    // START TRANSACTION, SET TRANSACTION), they run in an aborted transaction where anything else fails (COMMIT,
    // ROLLBACK [TO], ABORT, END, PREPARE TRANSACTION), or they cannot run inside a transaction block, which a batch of
    // two statements is (VACUUM, CREATE INDEX CONCURRENTLY, CREATE DATABASE, ALTER SYSTEM, …). None of them reads or
    // writes rows under a tenant's policies.
    private static bool LeadsTransaction(SqlTokens t, int i) =>
        t.IsKeyword(i, "begin") || t.IsKeyword(i, "start") || t.IsKeyword(i, "commit") || t.IsKeyword(i, "end")
        || t.IsKeyword(i, "rollback") || t.IsKeyword(i, "abort") || t.IsKeyword(i, "vacuum")
        || (t.IsKeyword(i, "prepare") && t.IsKeyword(i + 1, "transaction"))
        || (t.IsKeyword(i, "set") && (t.IsKeyword(i + 1, "transaction") || (t.IsKeyword(i + 1, "session") && t.IsKeyword(i + 2, "characteristics"))))
        || ((t.IsKeyword(i, "create") || t.IsKeyword(i, "drop") || t.IsKeyword(i, "alter"))
            && (t.IsKeyword(i + 1, "database") || t.IsKeyword(i + 1, "tablespace") || t.IsKeyword(i + 1, "subscription")))
        || (t.IsKeyword(i, "alter") && t.IsKeyword(i + 1, "system"))
        || (t.IsKeyword(i, "reindex") && (t.IsKeyword(i + 1, "database") || t.IsKeyword(i + 1, "system") || Concurrently(t, i + 1)))
        || ((t.IsKeyword(i, "create") || t.IsKeyword(i, "drop")) && Concurrently(t, i + 1))
        || (t.IsKeyword(i, "cluster") && (t.Kind(i + 1) == SqlTokenKind.Semicolon || i + 1 >= t.Count));

    // "[UNIQUE] INDEX CONCURRENTLY" or "(…) … CONCURRENTLY" within the next few words.
    private static bool Concurrently(SqlTokens t, int i)
    {
        for (var k = i; k < i + 4 && k < t.Count; k++)
        {
            if (t.IsKeyword(k, "concurrently"))
            {
                return true;
            }

            if (t.Kind(k) is SqlTokenKind.Semicolon)
            {
                return false;
            }
        }

        return false;
    }

    private static bool IsTransactionControl(SqlTokens t, int i) =>
        t.IsKeyword(i, "begin") || t.IsKeyword(i, "start") || t.IsKeyword(i, "commit") || t.IsKeyword(i, "end")
        || t.IsKeyword(i, "rollback") || t.IsKeyword(i, "abort") || t.IsKeyword(i, "savepoint") || t.IsKeyword(i, "release")
        || (t.IsKeyword(i, "prepare") && t.IsKeyword(i + 1, "transaction"));

    /// <summary>What <see cref="Of"/> found.</summary>
    /// <param name="StatementCount">Top-level statements.</param>
    /// <param name="ChangesTransaction">Whether a statement begins, ends or rolls back (part of) a transaction.</param>
    /// <param name="EndsTransaction">Whether a statement ends the transaction it runs in (COMMIT, ROLLBACK without TO, …).</param>
    /// <param name="LeadingControlStatements">How many statements at the start nothing may be sent in front of (BEGIN, SET TRANSACTION, …).</param>
    /// <param name="ContextOffset">Where the context statement goes when those lead: just after their last semicolon.</param>
    internal readonly record struct Shape(int StatementCount, bool ChangesTransaction, bool EndsTransaction, int LeadingControlStatements, int ContextOffset);
}
