using DapperTenants.Policies;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Policies;

/// <summary>
/// The planner's predicted printed forms are what this server prints. When they are, a second run needs no
/// rendering at all; when a server prints differently, rendering on temporary tables is the fallback.
/// </summary>
[Category(Categories.Database)]
public sealed class ExpressionTests
{
    [Test]
    public async Task Predicted_expressions_are_what_the_server_prints_for_every_tenant_type_and_column_shape()
    {
        await using var database = await TestServer.CreateDatabaseAsync("expressions");
        await using var owner = database.CreateOwnerDataSource();
        await using var connection = await owner.OpenConnectionAsync();
        (string Column, string ColumnType, uint Oid, TenantSqlType Type)[] shapes = [
            ("tenant", "text", 25, TenantSqlType.Text),
            ("Tenant Key", "character varying(20)", 1043, TenantSqlType.Text),
            ("order", "character(8)", 1042, TenantSqlType.Text),
            ("tenant_id", "uuid", 2950, TenantSqlType.Uuid),
            ("TenantId", "integer", 23, TenantSqlType.Integer),
            ("tenant", "bigint", 20, TenantSqlType.BigInt),
            ("tenant", "smallint", 21, TenantSqlType.SmallInt),
        ];
        var keys = shapes.Select(s => new ExpressionKey(s.Column, s.ColumnType, s.Type)).ToList();
        await using var transaction = await connection.BeginTransactionAsync();

        var rendered = await ExpressionRenderer.RenderAsync(connection, keys, "dapper_tenants.tenant", CancellationToken.None);
        var tempTables = await connection.ExecuteScalarAsync<long>("select count(*) from pg_class where relname like 'dapper_tenants_render%'");

        foreach (var (shape, key) in shapes.Zip(keys))
        {
            var quoted = await connection.ExecuteScalarAsync<string>("select quote_ident(@Column)", new { shape.Column });
            rendered[key].Own.ShouldBe(PredictedExpressions.Own(quoted!, shape.Oid, "dapper_tenants.tenant", shape.Type), shape.ColumnType);
            rendered[key].Shared.ShouldBe(PredictedExpressions.SharedRows(quoted!, "dapper_tenants.tenant"), shape.ColumnType);
            rendered[key].Default.ShouldBe(PredictedExpressions.Default("dapper_tenants.tenant", shape.Type), shape.ColumnType);
        }

        tempTables.ShouldBe(0);
    }
}
