namespace DapperTenants.Guard;

/// <summary>
/// Everything the request path learns from one SQL text, cached per text by <see cref="TenantGuard"/>: how many
/// statements it holds, whether it changes the transaction state, and the guard's plan for it.
/// </summary>
internal sealed class SqlText
{
    /// <summary>A stored procedure call: one statement whose body the guard cannot see.</summary>
    public static readonly SqlText Procedure = new(1, changesTransaction: false, GuardPlan.Pass);

    /// <summary>A text the guard failed to read (an internal error): sent behind the context statement, which carries the tenant again after it.</summary>
    public static readonly SqlText Unknown = new(2, changesTransaction: true, GuardPlan.Pass);

    public SqlText(int statementCount, bool changesTransaction, GuardPlan plan)
    {
        StatementCount = statementCount;
        ChangesTransaction = changesTransaction;
        Plan = plan;
    }

    /// <summary>The top-level statements the lexer finds (0 for a text of only comments and semicolons).</summary>
    /// <remarks>
    /// Decides only how the text is sent: one statement goes as its own batch command, several behind the context
    /// statement in one command. A wrong count never weakens isolation: a batch command holding two statements is
    /// refused by Npgsql or PostgreSQL, and a single statement sent behind the context statement still carries it.
    /// </remarks>
    public int StatementCount { get; }

    /// <summary>
    /// Whether a statement of the text begins, ends or rolls back (part of) a transaction (<c>BEGIN</c>, <c>COMMIT</c>,
    /// <c>ROLLBACK [TO]</c>, <c>SAVEPOINT</c>, <c>PREPARE TRANSACTION</c>, …): after it the tenant setting is no longer
    /// known to hold, so the next statement carries it again.
    /// </summary>
    public bool ChangesTransaction { get; }

    /// <summary>The checks to run each time a command with this text executes.</summary>
    public GuardPlan Plan { get; }
}
