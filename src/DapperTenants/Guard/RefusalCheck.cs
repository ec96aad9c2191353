namespace DapperTenants.Guard;

/// <summary>A statement refused whatever the parameters and the context: it tampers with the tenant context, or the guard cannot see what it runs.</summary>
internal sealed class RefusalCheck : GuardCheck
{
    private readonly string _statementKind;
    private readonly string? _table;
    private readonly string _message;

    public RefusalCheck(string statementKind, string? table, string message)
    {
        _statementKind = statementKind;
        _table = table;
        _message = message;
    }

    public override bool AlwaysRefuses => true;

    public string StatementKind => _statementKind;

    public override TenantGuardException? Evaluate(ref GuardEvaluation evaluation) => Raise(evaluation.Tenant);

    public TenantGuardException Raise(string tenant) =>
        new(_message.Replace(GuardMessages.TenantPlaceholder, tenant, StringComparison.Ordinal), _statementKind, _table, null, tenant);
}
