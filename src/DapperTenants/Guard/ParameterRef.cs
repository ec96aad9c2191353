using Npgsql;
using NpgsqlTypes;

namespace DapperTenants.Guard;

/// <summary>A placeholder in the SQL text: <c>@name</c>/<c>:name</c> (without its prefix) or <c>$n</c>.</summary>
internal readonly record struct ParameterRef(string? Name, int Position)
{
    /// <summary>Finds the parameter Npgsql would bind, without allocating; <see langword="null"/> when there is none.</summary>
    public NpgsqlParameter? Find(NpgsqlParameterCollection parameters)
    {
        var count = parameters.Count;
        if (Name is null)
        {
            // $n refers to the n-th parameter only when Npgsql sends the text as is: all parameters positional.
            if (Position < 1 || Position > count)
            {
                return null;
            }

            for (var i = 0; i < count; i++)
            {
                if (!string.IsNullOrEmpty(parameters[i].ParameterName))
                {
                    return null;
                }
            }

            return parameters[Position - 1];
        }

        // Npgsql matches the name without its @ or : prefix, case-sensitively first, then ignoring case.
        for (var i = 0; i < count; i++)
        {
            if (Trimmed(parameters[i].ParameterName).SequenceEqual(Name))
            {
                return parameters[i];
            }
        }

        for (var i = 0; i < count; i++)
        {
            if (Trimmed(parameters[i].ParameterName).Equals(Name, StringComparison.OrdinalIgnoreCase))
            {
                return parameters[i];
            }
        }

        return null;
    }

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

    private static ReadOnlySpan<char> Trimmed(string? name) =>
        string.IsNullOrEmpty(name) ? default : name[0] is '@' or ':' ? name.AsSpan(1) : name.AsSpan();
}
