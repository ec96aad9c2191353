using DapperTenants.Catalog;
using Npgsql;
using NpgsqlTypes;

namespace DapperTenants;

/// <summary>Reads the support access log that <see cref="PolicyInstaller.UseSupportAccess"/> installs, as its owner.</summary>
/// <remarks>Only the owner (the installer's login) may read the log; no role may change it but the owner, and the library never does.</remarks>
public sealed class SupportAccessLog
{
    private const string Sql = $"""
        SELECT id, actor, reason, all_tenants, tenants, allow_writes, started_at, login, backend_pid, host(client_addr), application_name
        FROM {SupportNames.QualifiedTable}
        WHERE ($1::text IS NULL OR actor = $1)
          AND ($2::text IS NULL OR all_tenants OR $2 = ANY (tenants))
          AND ($3::timestamptz IS NULL OR started_at >= $3)
        ORDER BY id DESC
        LIMIT $4
        """;

    private readonly NpgsqlDataSource _ownerDataSource;

    /// <summary>Creates a reader over a data source for the log's owner.</summary>
    /// <param name="ownerDataSource">A data source for the installer's login. The caller keeps ownership of it.</param>
    public SupportAccessLog(NpgsqlDataSource ownerDataSource)
    {
        ArgumentNullException.ThrowIfNull(ownerDataSource);
        _ownerDataSource = ownerDataSource;
    }

    /// <summary>Reads log rows, newest first.</summary>
    /// <param name="query">The filters and limit; <see langword="null"/> for the latest 100 rows.</param>
    /// <returns>The rows.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="SupportAccessQuery.Limit"/> is out of range.</exception>
    public IReadOnlyList<SupportAccessEntry> Read(SupportAccessQuery? query = null)
    {
        using var command = CreateCommand(query);
        using var connection = _ownerDataSource.OpenConnection();
        command.Connection = connection;
        using var reader = command.ExecuteReader();
        var entries = new List<SupportAccessEntry>();
        while (reader.Read())
        {
            entries.Add(ReadEntry(reader));
        }

        return entries;
    }

    /// <summary>Reads log rows, newest first.</summary>
    /// <param name="query">The filters and limit; <see langword="null"/> for the latest 100 rows.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The rows.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="SupportAccessQuery.Limit"/> is out of range.</exception>
    public async Task<IReadOnlyList<SupportAccessEntry>> ReadAsync(SupportAccessQuery? query = null, CancellationToken cancellationToken = default)
    {
        var command = CreateCommand(query);
        await using (command.ConfigureAwait(false))
        {
            var connection = await _ownerDataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                command.Connection = connection;
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    var entries = new List<SupportAccessEntry>();
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        entries.Add(ReadEntry(reader));
                    }

                    return entries;
                }
            }
        }
    }

    private static NpgsqlCommand CreateCommand(SupportAccessQuery? query)
    {
        query ??= new SupportAccessQuery();
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, SupportAccessQuery.MaxLimit, nameof(query));
        return new NpgsqlCommand(Sql)
        {
            Parameters =
            {
                new NpgsqlParameter { Value = (object?)query.Actor ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new NpgsqlParameter { Value = (object?)query.Tenant ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new NpgsqlParameter { Value = query.Since is { } since ? since.ToUniversalTime() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                new NpgsqlParameter { Value = query.Limit, NpgsqlDbType = NpgsqlDbType.Integer },
            },
        };
    }

    private static SupportAccessEntry ReadEntry(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3), reader.GetFieldValue<string[]>(4), reader.GetBoolean(5),
        reader.GetFieldValue<DateTimeOffset>(6), reader.GetString(7), reader.GetInt32(8), reader.IsDBNull(9) ? null : reader.GetString(9),
        reader.IsDBNull(10) ? null : reader.GetString(10));
}
