using Npgsql;

namespace DapperTenants.Guard;

/// <summary>A statement refused whatever the parameters: it tampers with the tenant context.</summary>
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

    public override TenantGuardException? Evaluate(NpgsqlParameterCollection parameters, string tenant) =>
        new(_message.Replace(GuardMessages.TenantPlaceholder, tenant, StringComparison.Ordinal), _statementKind, _table, null, tenant);
}
