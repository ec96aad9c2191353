using Npgsql;

namespace DapperTenants.Tests.Reliability;

/// <summary>
/// Further attacks, thinking as an attacker with only a tenant connection and the app login: writes that return hidden
/// rows, upserts and MERGE on hidden keys, writable CTEs, errors and aggregates over hidden rows, server files, COPY
/// variants, settings that turn RLS off, transaction tricks that could undo the context, odd tenant values.
/// </summary>
public partial class AttackTests
{
    /// <summary>The further attacks.</summary>
    public static IEnumerable<AttackCase> MoreCases =>
    [
        new("RETURNING_of_an_UPDATE_of_hidden_rows", Outcome.NoForeignRows, "update orders set note = note where id in (101, 201) returning id, tenant, note"),
        new("RETURNING_of_a_DELETE_of_hidden_rows", Outcome.NoForeignRows, "delete from orders where id = 101 returning id, tenant, note"),
        new("writable_CTE_deleting_other_tenants", Outcome.NoForeignRows, "with d as (delete from orders where tenant <> 'acme' returning *) select * from d"),
        new("writable_CTE_moving_rows_to_acme", Outcome.NoForeignRows, "with u as (update orders set tenant = 'acme' where tenant = 'globex' returning *) select * from u"),
        new("writable_CTE_inserting_a_computed_tenant", Outcome.Refused, "with i as (insert into orders (id, tenant, total) values (90004, 'glo' || 'bex', 1) returning *) select * from i")
        {
            SqlState = Denied,
        },
        new("INSERT_with_a_tenant_from_a_subquery", Outcome.Refused, "insert into orders (id, tenant, total) values (90003, (select 'globex'), 1)") { SqlState = Denied },
        new("INSERT_SELECT_copying_hidden_rows", Outcome.NoForeignRows, "insert into orders (id, total, note) select id + 5000, total, note from orders where tenant = 'globex' returning note")
        {
            Control = Read,
        },
        new("ON_CONFLICT_DO_NOTHING_on_a_hidden_key", Outcome.KnownLimit, "insert into orders (id, total) values (101, 1) on conflict (id) do nothing returning id")
        {
            // Nothing comes back and nothing is inserted: the key exists for someone. The unique-key existence oracle.
            Shows = [],
        },
        new("duplicate_key_error_hides_the_key", Outcome.Refused, "insert into orders (id, total) values (101, 1)")
        {
            SqlState = PostgresErrorCodes.UniqueViolation,
            Says = "duplicate key value violates unique constraint \"orders_pkey\"",
        },
        new("MERGE_inserting_onto_a_hidden_key", Outcome.Refused,
            "merge into orders o using (values (101, 5.0)) v(id, total) on o.id = v.id when matched then update set note = 'x' when not matched then insert (id, total) values (v.id, v.total)")
        {
            SqlState = PostgresErrorCodes.UniqueViolation,
        },
        new("MERGE_deleting_a_hidden_row", Outcome.NoForeignRows, "merge into orders o using (select 101 as id) v on o.id = v.id when matched then delete")
        {
            Via = Via.Execute,
            Shows = ["0"],
            Control = "select note from orders where id = 101",
        },
        new("UPDATE_through_the_owners_view", Outcome.NoForeignRows, "update orders_by_owner set note = 'x' where id = 101")
        {
            Via = Via.Execute,
            Shows = ["0"],
            Control = "select note from orders_by_owner where id = 101",
        },
        new("UPDATE_through_a_superusers_view", Outcome.Refused, "update orders_by_superuser set note = 'x' where id = 101") { SqlState = Denied },
        new("cast_error_on_a_hidden_row", Outcome.NoForeignRows, "select * from orders where id = 101 and note::int = 0")
        {
            // The policy's condition runs before the caller's non-leakproof one: 'g1'::int is never tried.
            Control = "select note from orders where id = 101",
        },
        new("division_by_zero_on_a_hidden_row", Outcome.NoForeignRows, "select * from orders where 1 / (total - 1) > 0") { Control = Read },
        new("aggregates_over_the_policy", Outcome.NoForeignRows, "select count(*), sum(total), string_agg(note, ',' order by id) from orders")
        {
            Shows = ["5", "150.00", "a1,a2,a4,a5"],
            Control = "select string_agg(note, ',' order by id) from orders",
        },
        new("window_function_over_the_policy", Outcome.NoForeignRows, "select count(*) over () from orders limit 1") { Shows = ["5"], Control = Read },
        new("ROLLUP_over_the_tenant", Outcome.NoForeignRows, "select tenant, count(*) from orders group by rollup (tenant) order by tenant nulls last")
        {
            Shows = ["acme", "5", "", "5"],
        },
        new("TABLE_ONLY_and_star", Outcome.NoForeignRows, "table orders union all select * from only orders union all select * from orders*"),
        new("TABLESAMPLE", Outcome.NoForeignRows, "select * from orders tablesample system (100)"),
        new("ctid_of_a_hidden_row", Outcome.NoForeignRows, "select * from orders where ctid = any (array['(0,6)', '(0,7)', '(0,8)']::tid[])"),
        new("FOR_UPDATE_SKIP_LOCKED", Outcome.NoForeignRows, "select * from orders for update skip locked"),
        new("row_security_off", Outcome.Refused, "set local row_security = off; select * from orders")
        {
            SqlState = Denied,
            Says = "query would be affected by row-level security policy",
        },
        new("session_replication_role", Outcome.Refused, "set local session_replication_role = replica") { SqlState = Denied },
        new("pg_read_file", Outcome.Refused, "select pg_read_file('/etc/passwd')") { SqlState = Denied },
        new("lo_import", Outcome.Refused, "select lo_import('/etc/passwd')") { SqlState = Denied },
        new("pg_largeobject", Outcome.Refused, "select * from pg_largeobject") { SqlState = Denied },
        new("COPY_TO_PROGRAM", Outcome.Refused, "copy (select 1) to program 'id'") { SqlState = Denied },
        new("COPY_TO_a_server_file", Outcome.Refused, "copy orders to '/tmp/orders.csv'") { SqlState = Denied },
        new("COPY_of_a_query_TO_STDOUT", Outcome.NpgsqlRefused, "copy (select * from orders) to stdout"),
        new("temp_table_inheriting_a_protected_table", Outcome.Refused, "create temp table t () inherits (orders)") { SqlState = Denied },
        new("REFRESH_MATERIALIZED_VIEW", Outcome.Refused, "refresh materialized view orders_snapshot") { SqlState = Denied },
        new("DETACH_PARTITION", Outcome.Refused, "alter table events detach partition events_rest") { SqlState = Denied },
        new("INSERT_into_a_partition_for_another_tenant", Outcome.Guard, "insert into events_rest (id, tenant, what) values (9, 'globex', 'x')")
        {
            Kind = "INSERT",
            WithGuardOff = Outcome.Refused,
            SqlState = Denied,
        },
        new("pg_reload_conf", Outcome.Refused, "select pg_reload_conf()") { SqlState = Denied },
        new("PREPARE_TRANSACTION", Outcome.Refused, $"begin; {Read}; prepare transaction 'attack'") { SqlState = PostgresErrorCodes.ObjectNotInPrerequisiteState },
        new("savepoint_rolled_back_over_the_context", Outcome.NoForeignRows, $"begin; savepoint s; {Read}; rollback to savepoint s; {Read}; commit"),
        new("savepoint_rolled_back_with_ROLLBACK_TRANSACTION_TO", Outcome.NoForeignRows, $"begin; savepoint s; select 1; rollback transaction to s; {Read}; commit"),
        new("ABORT_then_read", Outcome.NoForeignRows, $"abort; {Read}"),
        new("savepoint_API_after_a_failed_statement", Outcome.NoForeignRows, Read)
        {
            Script = async run =>
            {
                await using var transaction = run.Sync ? run.Acme.BeginTransaction() : await run.Acme.BeginTransactionAsync();
                await transaction.SaveAsync("s");
                await Should.ThrowAsync<PostgresException>(() => run.Acme.ExecuteAsync("select 1/0", transaction: transaction));
                await transaction.RollbackAsync("s");
                var rows = await run.ReadAsync(run.Acme, Read, transaction);
                rows.ShouldContain("a1", "after the rollback to the savepoint the context is sent again");
                return rows;
            },
        },
        new("ROLLBACK_TO_as_SQL_in_a_transaction", Outcome.NoForeignRows, Read)
        {
            Script = async run =>
            {
                await using var transaction = run.Sync ? run.Acme.BeginTransaction() : await run.Acme.BeginTransactionAsync();
                await run.Acme.ExecuteAsync("savepoint s", transaction: transaction);
                var rows = await run.ReadAsync(run.Acme, Read, transaction);
                await run.Acme.ExecuteAsync("rollback to savepoint s", transaction: transaction);
                rows.AddRange(await run.ReadAsync(run.Acme, Read, transaction));
                rows.Count(r => r == "a1").ShouldBe(2, "both reads ran as acme");
                return rows;
            },
        },
        new("WITH_HOLD_cursor_scrolled_later_in_the_same_lease", Outcome.NoForeignRows, "fetch all from mine")
        {
            Script = async run =>
            {
                await run.ReadAsync(run.Acme, "begin; declare mine scroll cursor with hold for select id, tenant, note from orders; commit");
                var rows = await run.ReadAsync(run.Acme, "fetch all from mine");
                rows.AddRange(await run.ReadAsync(run.Acme, "fetch absolute 1 from mine"));
                return rows;
            },
            Control = Read,
        },
        new("UPDATE_FROM_a_hidden_row", Outcome.NoForeignRows, "update orders o set note = g.note from orders g where g.id = 101 and o.id = 1 returning o.note")
        {
            Control = "select note from orders where id = 101",
        },
        new("INSERT_with_DEFAULT_for_the_tenant", Outcome.NoForeignRows, "insert into orders (id, tenant, total) values (9, default, 1) returning tenant")
        {
            Shows = ["acme"],
            Control = Read,
            Cleanup = "delete from orders where id = 9",
        },
        new("COMMIT_then_count", Outcome.NoForeignRows, "commit; select count(*) from orders") { Shows = ["5"], Control = Read },
        new("ABORT_then_count", Outcome.NoForeignRows, "abort; select count(*) from orders") { Shows = ["5"], Control = Read },
        new("BEGIN_count_COMMIT", Outcome.NoForeignRows, "begin; select count(*) from orders; commit") { Shows = ["5"], Control = Read },
        new("shared_row_read", Outcome.NoForeignRows, "select id, title from docs order by id") { Shows = ["10", "shared", "11", "a doc"], Control = "select title from docs" },
        new("shared_row_UPDATE", Outcome.NoForeignRows, "update docs set title = 'taken over' where tenant is null")
        {
            // The shared-rows policy lets every tenant read a row without a tenant, never write it.
            Via = Via.Execute,
            Shows = ["0"],
            Control = "select title from docs where id = 12",
        },
        new("shared_row_DELETE", Outcome.NoForeignRows, "delete from docs where id = 10") { Via = Via.Execute, Shows = ["0"], Control = "select title from docs where id = 12" },
        new("shared_row_INSERT", Outcome.Refused, "insert into docs (id, tenant, title) values (13, null, 'planted for everyone')") { SqlState = Denied },
        new("DELETE_cascading_into_another_tenants_rows", Outcome.KnownLimit, "delete from orders where id = 5")
        {
            // Referential actions run without row-level security: a foreign key without the tenant column lets a
            // tenant's delete remove (or an update change) another tenant's rows that point at its own.
            Via = Via.Execute,
            Evidence = "select 'globex note on order 5 was deleted' where not exists (select 1 from order_notes where id = 1)",
            Cleanup = "insert into orders values (5, 'acme', 50.00, 'a5') on conflict do nothing; "
                + "insert into order_notes values (1, 5, 'globex', 'globex note on order 5') on conflict do nothing",
        },
        OddTenant("tenant_value_with_quotes", "acme' or tenant <> '"),
        OddTenant("tenant_value_with_a_backslash_and_semicolon", "acme\\'; set dapper_tenants.tenant = 'globex'; --"),
        OddTenant("tenant_value_with_a_Cyrillic_look_alike", "\u0430cme"),
        OddTenant("tenant_value_shaped_like_a_token", "v1.default.4102444800.0." + Hex("globex") + "." + new string('0', 64)),
        OddTenant("tenant_value_with_unicode_and_emoji", "globex\u200b\U0001F600"),
    ];

    /// <summary>A lease for a tenant value built to look like SQL, another tenant or a token: it sees no row at all.</summary>
    private static AttackCase OddTenant(string name, string tenant) => new(name, Outcome.NoForeignRows, Read)
    {
        Shows = [],
        Script = async run =>
        {
            await using var odd = run.Sync ? run.Tenants.Open(tenant) : await run.Tenants.OpenAsync(tenant);
            return await run.ReadAsync(odd, Read);
        },
    };
}
