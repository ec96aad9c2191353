using System.Globalization;
using System.Text;
using Npgsql;

namespace DapperTenants.Policies;

/// <summary>
/// Asks the server how it prints the model's expressions: it creates them on temporary tables with the same tenant
/// column, reads them back with <c>pg_get_expr</c>, and rolls back to a savepoint, so nothing is left behind.
/// </summary>
/// <remarks>
/// Used only when a stored expression differs from <see cref="PredictedExpressions"/>: comparing printed forms made by
/// the same server is what tells real drift from a deparser that words things differently.
/// </remarks>
internal static class ExpressionRenderer
{
    public static IReadOnlyDictionary<ExpressionKey, RenderedExpressions> Render(NpgsqlConnection connection, IReadOnlyList<ExpressionKey> keys, string settingName, bool signed = false)
    {
        using var batch = CreateBatch(connection, keys, settingName, signed);
        using var reader = batch.ExecuteReader();
        while (reader.FieldCount == 0 && reader.NextResult())
        {
        }

        var rows = new List<(int, RenderedExpressions)>();
        while (reader.Read())
        {
            rows.Add(ReadRow(reader));
        }

        while (reader.NextResult())
        {
        }

        return ToDictionary(keys, rows);
    }

    public static Task<IReadOnlyDictionary<ExpressionKey, RenderedExpressions>> RenderAsync(
        NpgsqlConnection connection, IReadOnlyList<ExpressionKey> keys, string settingName, CancellationToken cancellationToken) =>
        RenderAsync(connection, keys, settingName, signed: false, cancellationToken);

    public static async Task<IReadOnlyDictionary<ExpressionKey, RenderedExpressions>> RenderAsync(
        NpgsqlConnection connection, IReadOnlyList<ExpressionKey> keys, string settingName, bool signed, CancellationToken cancellationToken)
    {
        var batch = CreateBatch(connection, keys, settingName, signed);
        await using var batchScope = batch.ConfigureAwait(false);
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (reader.FieldCount == 0 && await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
        {
        }

        var rows = new List<(int, RenderedExpressions)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(ReadRow(reader));
        }

        while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
        {
        }

        return ToDictionary(keys, rows);
    }

    private static NpgsqlBatch CreateBatch(NpgsqlConnection connection, IReadOnlyList<ExpressionKey> keys, string settingName, bool signed)
    {
        var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SAVEPOINT dapper_tenants_render"));
        var select = new StringBuilder("""
            select t.i,
                   (select pg_get_expr(p.polqual, p.polrelid) from pg_policy p where p.polrelid = t.r and p.polname = 'own'),
                   (select pg_get_expr(p.polqual, p.polrelid) from pg_policy p where p.polrelid = t.r and p.polname = 'shared'),
                   (select pg_get_expr(d.adbin, d.adrelid) from pg_attrdef d where d.adrelid = t.r)
            from (values
            """);
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            var table = "pg_temp.dapper_tenants_render_" + i.ToString(CultureInfo.InvariantCulture);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                $"CREATE TEMPORARY TABLE {table} ({Identifiers.Quote(key.Column)} {key.ColumnType} DEFAULT {PolicySql.TenantValue(settingName, key.Type, signed)})"));
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                $"CREATE POLICY own ON {table} USING ({PolicySql.Own(key.Column, settingName, key.Type, signed)})"));
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                $"CREATE POLICY shared ON {table} USING ({PolicySql.SharedRows(key.Column, settingName, signed)})"));
            select.Append(i == 0 ? "\n    (" : ",\n    (").Append(i.ToString(CultureInfo.InvariantCulture)).Append(", '").Append(table).Append("'::regclass)");
        }

        select.Append(") as t(i, r)");
        batch.BatchCommands.Add(new NpgsqlBatchCommand(select.ToString()));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("ROLLBACK TO SAVEPOINT dapper_tenants_render"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("RELEASE SAVEPOINT dapper_tenants_render"));
        return batch;
    }

    private static (int, RenderedExpressions) ReadRow(NpgsqlDataReader reader) =>
        (reader.GetInt32(0), new RenderedExpressions(reader.GetString(1), reader.GetString(2), reader.GetString(3)));

    private static Dictionary<ExpressionKey, RenderedExpressions> ToDictionary(IReadOnlyList<ExpressionKey> keys, List<(int Index, RenderedExpressions Expressions)> rows) =>
        rows.ToDictionary(r => keys[r.Index], r => r.Expressions);
}
