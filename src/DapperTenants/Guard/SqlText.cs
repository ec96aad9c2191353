namespace DapperTenants.Guard;

/// <summary>
/// Everything the request path learns from one SQL text, cached per text by <see cref="TenantGuard"/>: how many
/// statements it holds, whether it changes the transaction state, and the guard's plan for it.
/// </summary>
internal sealed class SqlText
{
    /// <summary>A stored procedure call: one statement whose body the guard cannot see.</summary>
    public static readonly SqlText Procedure = new(new SqlTextShape.Shape(1, false, false, 0, 0), GuardPlan.Pass);

    /// <summary>A text the guard failed to read (an internal error): sent behind the context statement, which carries the tenant again after it.</summary>
    public static readonly SqlText Unknown = new(new SqlTextShape.Shape(2, true, false, 0, 0), GuardPlan.Pass);

    public SqlText(SqlTextShape.Shape shape, GuardPlan plan)
    {
        StatementCount = shape.StatementCount;
        ChangesTransaction = shape.ChangesTransaction;
        EndsTransaction = shape.EndsTransaction;
        LeadsWithTransactionControl = shape.LeadingControlStatements > 0;
        OnlyTransactionControl = shape.LeadingControlStatements == shape.StatementCount && shape.StatementCount > 0;
        ContextOffset = shape.ContextOffset;
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

    /// <summary>Whether a statement ends the transaction it runs in (<c>COMMIT</c>, <c>END</c>, <c>ROLLBACK</c> without <c>TO</c>, <c>ABORT</c>, <c>PREPARE TRANSACTION</c>).</summary>
    public bool EndsTransaction { get; }

    /// <summary>
    /// Whether nothing may be sent in front of the first statement: it begins a transaction or must be its first
    /// statement (<c>BEGIN</c>, <c>START TRANSACTION</c>, <c>SET TRANSACTION</c>), or it runs in an aborted transaction where
    /// anything else fails (<c>COMMIT</c>, <c>ROLLBACK [TO]</c>, <c>ABORT</c>, <c>END</c>, <c>PREPARE TRANSACTION</c>). The
    /// context statement then goes after the leading run of such statements, or, when nothing follows them, with the next text.
    /// </summary>
    public bool LeadsWithTransactionControl { get; }

    /// <summary>Whether every statement is one that nothing may precede: the context goes with the next text instead.</summary>
    public bool OnlyTransactionControl { get; }

    /// <summary>The offset just after the leading statements that nothing may precede, where the context statement goes.</summary>
    public int ContextOffset { get; }

    /// <summary>The text with the context statement spliced in, cached for the one data source whose guard owns this entry.</summary>
    internal string? WithContext { get; set; }

    /// <summary>The checks to run each time a command with this text executes.</summary>
    public GuardPlan Plan { get; }
}
