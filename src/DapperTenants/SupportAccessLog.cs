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

    private const string WritesSql = $"""
        SELECT w.id, w.session_id, l.actor, w.at, w.xact, w.statement
        FROM {SupportNames.QualifiedWritesTable} w JOIN {SupportNames.QualifiedTable} l ON l.id = w.session_id
        WHERE ($1::text IS NULL OR l.actor = $1)
          AND ($2::text IS NULL OR l.all_tenants OR $2 = ANY (l.tenants))
          AND ($3::timestamptz IS NULL OR w.at >= $3)
        ORDER BY w.id DESC
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
    public IReadOnlyList<SupportAccessEntry> Read(SupportAccessQuery? query = null) => Read(Sql, query, ReadEntry);

    /// <summary>Reads write-log rows (one per statement a write-allowed session sent), newest first.</summary>
    /// <param name="query">The filters (by the session's actor and tenants; <see cref="SupportAccessQuery.Since"/> by the write's time) and limit; <see langword="null"/> for the latest 100 rows.</param>
    /// <returns>The rows.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="SupportAccessQuery.Limit"/> is out of range.</exception>
    public IReadOnlyList<SupportAccessWrite> ReadWrites(SupportAccessQuery? query = null) => Read(WritesSql, query, ReadWrite);

    /// <summary>Reads write-log rows (one per statement a write-allowed session sent), newest first.</summary>
    /// <param name="query">The filters (by the session's actor and tenants; <see cref="SupportAccessQuery.Since"/> by the write's time) and limit; <see langword="null"/> for the latest 100 rows.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The rows.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="SupportAccessQuery.Limit"/> is out of range.</exception>
    public Task<IReadOnlyList<SupportAccessWrite>> ReadWritesAsync(SupportAccessQuery? query = null, CancellationToken cancellationToken = default) =>
        ReadAsync(WritesSql, query, ReadWrite, cancellationToken);

    private List<T> Read<T>(string sql, SupportAccessQuery? query, Func<NpgsqlDataReader, T> read)
    {
        using var command = CreateCommand(sql, query);
        using var connection = _ownerDataSource.OpenConnection();
        command.Connection = connection;
        using var reader = command.ExecuteReader();
        var entries = new List<T>();
        while (reader.Read())
        {
            entries.Add(read(reader));
        }

        return entries;
    }

    /// <summary>Reads log rows, newest first.</summary>
    /// <param name="query">The filters and limit; <see langword="null"/> for the latest 100 rows.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The rows.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="SupportAccessQuery.Limit"/> is out of range.</exception>
    public Task<IReadOnlyList<SupportAccessEntry>> ReadAsync(SupportAccessQuery? query = null, CancellationToken cancellationToken = default) =>
        ReadAsync(Sql, query, ReadEntry, cancellationToken);

    private async Task<IReadOnlyList<T>> ReadAsync<T>(string sql, SupportAccessQuery? query, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        var command = CreateCommand(sql, query);
        await using (command.ConfigureAwait(false))
        {
            var connection = await _ownerDataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                command.Connection = connection;
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    var entries = new List<T>();
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        entries.Add(read(reader));
                    }

                    return entries;
                }
            }
        }
    }

    private static NpgsqlCommand CreateCommand(string sql, SupportAccessQuery? query)
    {
        query ??= new SupportAccessQuery();
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, SupportAccessQuery.MaxLimit, nameof(query));
        return new NpgsqlCommand(sql)
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

    private static SupportAccessWrite ReadWrite(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<ulong>(4), reader.GetString(5));
}
