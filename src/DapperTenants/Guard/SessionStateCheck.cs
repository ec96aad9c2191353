namespace DapperTenants.Guard;

/// <summary>
/// A statement that leaves state in the server session (a temporary table, a <c>WITH HOLD</c> cursor, a session
/// setting, …): refused when the session can pass to another lease without being reset.
/// </summary>
/// <remarks>
/// The plan is cached per text; whether the session (or, for state that ends with the transaction, the transaction)
/// outlives the lease is known per execution.
/// </remarks>
internal sealed class SessionStateCheck : GuardCheck
{
    private readonly RefusalCheck _refusal;
    private readonly ParameterRef? _localFlag;
    private readonly bool _transactionState;

    /// <param name="refusal">The refusal to raise.</param>
    /// <param name="localFlag">
    /// For <c>set_config(…, @local)</c>: the placeholder of <c>is_local</c>; the call passes when it is bound to <see langword="true"/>.
    /// </param>
    /// <param name="transactionState">
    /// The state ends with the transaction (a cursor without WITH HOLD, a temporary table ON COMMIT DROP): refused only
    /// when the transaction outlives the lease.
    /// </param>
    public SessionStateCheck(RefusalCheck refusal, ParameterRef? localFlag = null, bool transactionState = false)
    {
        _refusal = refusal;
        _localFlag = localFlag;
        _transactionState = transactionState;
    }

    public string StatementKind => _refusal.StatementKind;

    public override TenantGuardException? Evaluate(ref GuardEvaluation evaluation)
    {
        if (!(_transactionState ? evaluation.Context.TransactionOutlivesLease : evaluation.Context.SessionOutlivesLease))
        {
            return null;
        }

        if (_localFlag is { } flag)
        {
            // Without a matching parameter Npgsql sends the placeholder as written, and PostgreSQL rejects the call.
            var parameter = evaluation.Find(flag);
            if (parameter is null || parameter.Value is true)
            {
                return null;
            }
        }

        return _refusal.Raise(evaluation.Tenant);
    }
}
