namespace DapperTenants.Tests.Reliability;

/// <summary>The operations of the leak fuzzer. The first seven read, the next five write, the rest fail on purpose.</summary>
public enum FuzzOp
{
    Query,
    QueryFirstOrDefault,
    QuerySingleOrDefault,
    QueryMultiple,
    ExecuteScalar,
    ExecuteReader,
    UnbufferedQuery,
    Insert,
    InsertWithTenant,
    Update,
    Delete,
    Upsert,
    FailingStatement,
    TimeoutOrCancellation,

    /// <summary>Only inside an explicit transaction: <c>set local statement_timeout = 5; select pg_sleep(0.1)</c>.</summary>
    StatementTimeout,
}
