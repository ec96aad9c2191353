using DapperTenants.Catalog;
using Npgsql;
using NpgsqlTypes;
using static DapperTenants.Catalog.RegistryNames;

namespace DapperTenants.Registry;

/// <summary>The statements <see cref="TenantRegistry"/> and <see cref="RegistrySnapshot"/> send, with their parameters and row mapping.</summary>
/// <remarks>Every tenant is a bound parameter; ordering and paging use the "C" collation, so pages are stable whatever the database's collation.</remarks>
internal static class RegistryQueries
{
    private const string Columns = "id, state, created_at, disabled_at, disabled_reason";

    public const string Insert = $"INSERT INTO {QualifiedTable} (id) VALUES ($1) ON CONFLICT (id) DO NOTHING RETURNING {Columns}";

    public const string Find = $"SELECT {Columns} FROM {QualifiedTable} WHERE id = $1";

    public const string Disable = $"""
        UPDATE {QualifiedTable} SET state = '{Disabled}', disabled_at = pg_catalog.now(), disabled_reason = $2
        WHERE id = $1 AND state = '{Active}' RETURNING {Columns}
        """;

    public const string Enable = $"""
        UPDATE {QualifiedTable} SET state = '{Active}', disabled_at = NULL, disabled_reason = NULL
        WHERE id = $1 AND state = '{Disabled}' RETURNING {Columns}
        """;

    /// <summary>Marks a disabled tenant (or one whose purge did not finish) as purging; no row when it is neither.</summary>
    public const string StartPurge = $"""
        UPDATE {QualifiedTable} SET state = '{Purging}' WHERE id = $1 AND state IN ('{Disabled}', '{Purging}') RETURNING {Columns}
        """;

    /// <summary>Marks a purging tenant as purged; no row when it is not purging.</summary>
    public const string FinishPurge = $"""
        UPDATE {QualifiedTable} SET state = '{Purged}' WHERE id = $1 AND state = '{Purging}' RETURNING {Columns}
        """;

    // $1 state or NULL, $2 the last id of the previous page or NULL, $3 page size + 1 (the extra row says whether a next page exists).
    public const string List = $"""
        SELECT {Columns} FROM {QualifiedTable}
        WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR id COLLATE "C" > $2::text COLLATE "C")
        ORDER BY id COLLATE "C" LIMIT $3
        """;

    /// <summary>Every tenant that is not active, and the active ones: the snapshot of the registered-tenant check.</summary>
    public const string All = $"SELECT id, state FROM {QualifiedTable}";

    public const string State = $"SELECT state FROM {QualifiedTable} WHERE id = $1";

    public const string CreateMissing = $"SELECT {QualifiedCreateFunction}($1)";

    public static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params object?[] values)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(value switch
            {
                int number => new NpgsqlParameter { Value = number, NpgsqlDbType = NpgsqlDbType.Integer },
                _ => new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
            });
        }

        return command;
    }

    public static TenantInfo Read(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        ParseState(reader.GetString(1)),
        reader.GetFieldValue<DateTimeOffset>(2),
        reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
        reader.IsDBNull(4) ? null : reader.GetString(4));

    public static TenantState ParseState(string state) => state switch
    {
        Active => TenantState.Active,
        Disabled => TenantState.Disabled,
        Purged => TenantState.Purged,
        Purging => TenantState.Purging,
        _ => throw new InvalidOperationException($"The tenant registry holds the unknown state '{state}'. Only 'active', 'disabled', 'purging' and 'purged' are valid."),
    };

    public static string StateName(TenantState state) => state switch
    {
        TenantState.Active => Active,
        TenantState.Disabled => Disabled,
        TenantState.Purged => Purged,
        TenantState.Purging => Purging,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Use TenantState.Active, Disabled, Purging or Purged."),
    };
}
