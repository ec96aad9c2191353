using DapperTenants.Catalog;
using Npgsql;

namespace DapperTenants.Guard;

/// <summary>A tenant value written into a protected table: a constant, or a parameter read at execution.</summary>
internal sealed class TenantValueCheck : GuardCheck
{
    private readonly ProtectedTable _table;
    private readonly PgType _column;
    private readonly WriteKind _kind;
    private readonly PgValue _constant;
    private readonly ParameterRef? _parameter;
    private readonly PgType[] _casts;

    /// <summary>A constant, already cast and assigned to the column.</summary>
    public TenantValueCheck(ProtectedTable table, PgType column, WriteKind kind, PgValue constant)
    {
        _table = table;
        _column = column;
        _kind = kind;
        _constant = constant;
        _casts = [];
    }

    /// <summary>A placeholder, and the casts written after it.</summary>
    public TenantValueCheck(ProtectedTable table, PgType column, WriteKind kind, ParameterRef parameter, PgType[] casts)
    {
        _table = table;
        _column = column;
        _kind = kind;
        _parameter = parameter;
        _casts = casts;
    }

    public WriteKind Kind => _kind;

    public ProtectedTable Table => _table;

    public override TenantGuardException? Evaluate(ref GuardEvaluation evaluation)
    {
        var tenant = evaluation.Tenant;
        var value = _constant;
        NpgsqlParameter? parameter = null;
        if (_parameter is { } reference)
        {
            // Without a matching parameter Npgsql sends the placeholder as written, and it is no tenant value.
            parameter = evaluation.Find(reference);
            if (parameter is null)
            {
                return null;
            }

            value = ParameterRef.Read(parameter);
            foreach (var cast in _casts)
            {
                value = value.CastTo(cast);
            }

            value = value.AssignTo(_column);
        }

        if (!value.TryCompare(_column, tenant, out var equal) || equal)
        {
            return null;
        }

        // character(n) parameters drop trailing spaces on the way into a text column.
        if (parameter is not null && value.Kind == PgValueKind.Text && ParameterRef.IsFixedLength(parameter))
        {
            return null;
        }

        return GuardMessages.WrongTenant(_kind, _table, value.ToString(), tenant);
    }
}
