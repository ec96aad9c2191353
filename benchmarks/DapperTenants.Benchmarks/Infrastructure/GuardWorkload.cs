using System.Globalization;
using System.Text;
using DapperTenants.Catalog;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// What scenario 4 feeds the guard: an in-memory catalog (the guard needs no database), a typical Dapper INSERT, and a
/// large script for the lexer. Everything is deterministic, so the host process (which draws the MB/s column) and the
/// benchmark process build the same script.
/// </summary>
internal static class GuardWorkload
{
    /// <summary>The tenant of the connection, and the value the INSERT's <c>@Tenant</c> parameter carries.</summary>
    public const string Tenant = "t0001";

    /// <summary>
    /// A Dapper upsert into a protected table with named parameters, 205 characters: the guard finds the tenant column in
    /// the column list and checks <c>@Tenant</c> against the connection's tenant on every execution.
    /// </summary>
    public const string TypicalInsert =
        "insert into orders (id, tenant, customer_id, total, created_at) values (@Id, @Tenant, @CustomerId, @Total, @CreatedAt) "
        + "on conflict (tenant, id) do update set total = excluded.total returning id, created_at";

    /// <summary>The size of <see cref="LargeScript"/>: at least this many characters (ASCII, so as many UTF-8 bytes).</summary>
    public const int LargeScriptMinLength = 1_000_000;

    private static readonly Lazy<string> Script = new(BuildLargeScript);

    /// <summary>A catalog shaped like the benchmark database's, plus the tables a real application would protect.</summary>
    public static TenantCatalog Catalog { get; } = new("app", isSuperuser: false, bypassesRls: false, "public",
    [
        new ProtectedTable("public", "orders", "tenant", "text", ["id", "tenant", "customer_id", "total", "created_at"]),
        new ProtectedTable("public", "customers", "tenant", "text", ["id", "tenant", "name", "balance"]),
        new ProtectedTable("public", "payments", "tenant", "text", ["id", "tenant", "order_id", "amount", "paid_at"]),
        new ProtectedTable("public", "invoices", "tenant_id", "uuid", ["id", "tenant_id", "number", "note"]),
        new ProtectedTable("billing", "ledger", "tenant", "bigint", ["id", "tenant", "entry", "amount"]),
    ]);

    /// <summary>A migration-and-seed script of about 1 MB: DDL, multi-row INSERTs, comments, dollar-quoted bodies.</summary>
    public static string LargeScript => Script.Value;

    private static string BuildLargeScript()
    {
        var sql = new StringBuilder(LargeScriptMinLength + 8192);
        for (var block = 0; sql.Length < LargeScriptMinLength; block++)
        {
            AppendBlock(sql, block);
        }

        return sql.ToString();
    }

    // Every token kind the lexer distinguishes appears: keywords and identifiers, quoted identifiers, numbers, strings
    // with doubled quotes, E'' escapes, dollar quotes, casts, operators, placeholders, line and block comments.
    private static void AppendBlock(StringBuilder sql, int block)
    {
        var c = CultureInfo.InvariantCulture;
        sql.Append(c, $"""
            -- Migration step {block}: a table of its own, with an index leading on the tenant column.
            create table if not exists "Archive_{block}" (
                id bigint generated always as identity,
                tenant text not null default nullif(current_setting('dapper_tenants.tenant', true), ''),
                "Label" varchar(200) not null,
                amount numeric(12, 2) not null default 0.00,
                created_at timestamptz not null default now(),
                primary key (tenant, id)
            );
            /* The function below is dollar-quoted; its body is one token. */
            create or replace function archive_total_{block}(p_tenant text) returns numeric
            language sql stable as $body$
                select coalesce(sum(amount), 0) from "Archive_{block}" where tenant = p_tenant and amount >= 0.01
            $body$;
            insert into "Archive_{block}" (tenant, "Label", amount, created_at) values

            """);
        for (var row = 0; row < 20; row++)
        {
            var tenant = (block * 20 + row) % 1000 + 1;
            sql.Append(c, $"    ('t{tenant:D4}', 'Order #{row} of block {block}: O''Brien''s invoice', {row * 17 % 1000}.{row % 100:D2}, '2024-01-{row % 28 + 1:D2} 10:{row % 60:D2}:00+00'::timestamptz){(row < 19 ? "," : ";")}\n");
        }

        sql.Append(c, $"""
            update "Archive_{block}" set "Label" = E'line one\nline two\t(tab)' || ' ' || id::text where tenant = @Tenant and amount > {block % 500} * 1.5e0;
            select a.tenant, count(*) as n, sum(a.amount) filter (where a.amount <> 0) as total
              from "Archive_{block}" as a where a.created_at >= now() - interval '30 days' group by a.tenant having count(*) > 1;

            """);
    }
}
