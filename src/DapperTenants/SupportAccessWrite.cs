namespace DapperTenants;

/// <summary>One row of the write log: one statement that a write-allowed support session sent, logged in the transaction it wrote in.</summary>
public sealed class SupportAccessWrite
{
    internal SupportAccessWrite(long id, long sessionId, string actor, DateTimeOffset at, ulong transactionId, string statement)
    {
        Id = id;
        SessionId = sessionId;
        Actor = actor;
        At = at;
        TransactionId = transactionId;
        Statement = statement;
    }

    /// <summary>The row's id, increasing with time.</summary>
    public long Id { get; }

    /// <summary>The <see cref="SupportAccessEntry.Id"/> of the session that sent the statement.</summary>
    public long SessionId { get; }

    /// <summary>Who worked, as the session's log row says.</summary>
    public string Actor { get; }

    /// <summary>When the statement was logged (the server's clock), just before it ran.</summary>
    public DateTimeOffset At { get; }

    /// <summary>The transaction the statement ran in (<c>pg_current_xact_id()</c>): the write it logged was authorized in that transaction only.</summary>
    public ulong TransactionId { get; }

    /// <summary>The statement's text as the support client sent it (parameters as placeholders).</summary>
    public string Statement { get; }
}
