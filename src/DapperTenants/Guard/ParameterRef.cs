using Npgsql;
using NpgsqlTypes;

namespace DapperTenants.Guard;

/// <summary>A placeholder in the SQL text: <c>@name</c>/<c>:name</c> (without its prefix) or <c>$n</c>.</summary>
internal readonly record struct ParameterRef(string? Name, int Position)
{
    /// <summary>The value Npgsql sends for the parameter, as far as the guard understands it.</summary>
    public static PgValue Read(NpgsqlParameter parameter) => parameter switch
    {
        NpgsqlParameter<string> p => p.TypedValue is { } s ? PgValue.Text(s) : PgValue.Invalid,
        NpgsqlParameter<Guid> p => PgValue.Uuid(p.TypedValue),
        NpgsqlParameter<int> p => PgValue.Integer(p.TypedValue, PgTypeFamily.Int32),
        NpgsqlParameter<long> p => PgValue.Integer(p.TypedValue, PgTypeFamily.Int64),
        NpgsqlParameter<short> p => PgValue.Integer(p.TypedValue, PgTypeFamily.Int16),
        _ => parameter.Direction is System.Data.ParameterDirection.Input or System.Data.ParameterDirection.InputOutput
            ? PgValue.FromParameter(parameter.Value)
            : PgValue.Invalid,
    };

    /// <summary>Whether a text value is sent as <c>character(n)</c>, whose trailing spaces do not count.</summary>
    public static bool IsFixedLength(NpgsqlParameter parameter) => parameter.NpgsqlDbType == NpgsqlDbType.Char;
}
