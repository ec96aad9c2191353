-- DapperTenants: tenant isolation checklist for a Citus cluster.
--
-- Proves on YOUR cluster what docs/scale-out.md could only derive from Citus's documentation and source: that tables
-- distributed by the tenant column, with the Citus form of the DapperTenants policies and the tenant sent as
-- SET LOCAL inside a transaction block, isolate tenants on router queries, multi-shard queries, co-located joins,
-- reference tables, writes, savepoints and prepared statements, and fail closed without a tenant.
--
-- Run it with psql 10 or later on the COORDINATOR, in the application's database, as a role that may create a schema
-- and distribute tables (a superuser is simplest). Part B reconnects as the application's login, which must be able to
-- log in to the coordinator and (as Citus connects as the same user) to every worker: give its password in ~/.pgpass.
--
--   psql "host=COORDINATOR dbname=APP_DB user=ADMIN" -X -v app_role=APP_LOGIN -f docs/citus-isolation-checklist.sql
--
-- Options: -v setting=prefix.name   the tenant setting, if not dapper_tenants.tenant
--          -v verifier='schema.function(text)'   the signed-context verifier, to check it exists on every node
--          -v keep=1                 keep the schema dt_check afterwards, for a look around
-- Every check prints PASS, FAIL or NOTE. The last line is "RESULT: PASS" (exit status 0) or "RESULT: FAIL"
-- (non-zero exit status). An unexpected error stops the script (ON_ERROR_STOP) and is a failure too.
--
-- It creates the schema dt_check (dropped first if it exists, dropped again at the end) and touches nothing else.
-- (-v standin=1 is for the DapperTenants repository's own test, which runs this script on plain PostgreSQL with
-- stand-ins for the Citus functions; it skips the checks only Citus can answer. Never use it on a cluster.)

\set ON_ERROR_STOP on
\set QUIET on
\pset footer off
\if :{?app_role}
\else
  \echo 'Name the application login: psql ... -v app_role=APP_LOGIN -f citus-isolation-checklist.sql'
  DO $$ BEGIN RAISE EXCEPTION 'app_role is not set'; END $$;
\endif
\if :{?setting}
\else
  \set setting dapper_tenants.tenant
\endif
\if :{?standin}
\else
  \set standin false
\endif
\set failures 0
\set admin_user :USER

\echo '== A. Set-up and catalog checks, as' :admin_user
SELECT citus_version() AS citus \gset
\echo 'Citus:' :citus

DROP SCHEMA IF EXISTS dt_check CASCADE;
CREATE SCHEMA dt_check;
GRANT USAGE ON SCHEMA dt_check TO :"app_role";

-- Keys include the tenant column: Citus requires it of primary keys, unique and foreign keys on distributed tables.
CREATE TABLE dt_check.items (
    tenant text NOT NULL DEFAULT NULLIF(current_setting(:'setting', true), ''),
    id bigint NOT NULL,
    payload text NOT NULL,
    PRIMARY KEY (tenant, id));
CREATE TABLE dt_check.notes (
    tenant text NOT NULL DEFAULT NULLIF(current_setting(:'setting', true), ''),
    item_id bigint NOT NULL,
    note text NOT NULL,
    PRIMARY KEY (tenant, item_id),
    FOREIGN KEY (tenant, item_id) REFERENCES dt_check.items (tenant, id));
-- [Rls(SharedRows = true)]: NULL-tenant rows are shared, so the table cannot be distributed by the tenant column.
CREATE TABLE dt_check.shared (
    tenant text DEFAULT NULLIF(current_setting(:'setting', true), ''),
    id bigint PRIMARY KEY,
    payload text NOT NULL);

-- The Citus form of the library's policies: the same comparison without the sub-select, which Citus refuses in
-- policies on distributed tables ("Subqueries are not supported in policies on distributed tables").
ALTER TABLE dt_check.items ENABLE ROW LEVEL SECURITY;
ALTER TABLE dt_check.notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE dt_check.shared ENABLE ROW LEVEL SECURITY;
CREATE POLICY dapper_tenants_isolation ON dt_check.items AS PERMISSIVE FOR ALL TO PUBLIC
    USING (tenant = NULLIF(current_setting(:'setting', true), '')::text)
    WITH CHECK (tenant = NULLIF(current_setting(:'setting', true), '')::text);
CREATE POLICY dapper_tenants_isolation ON dt_check.notes AS PERMISSIVE FOR ALL TO PUBLIC
    USING (tenant = NULLIF(current_setting(:'setting', true), '')::text)
    WITH CHECK (tenant = NULLIF(current_setting(:'setting', true), '')::text);
CREATE POLICY dapper_tenants_isolation ON dt_check.shared AS PERMISSIVE FOR ALL TO PUBLIC
    USING (tenant = NULLIF(current_setting(:'setting', true), '')::text)
    WITH CHECK (tenant = NULLIF(current_setting(:'setting', true), '')::text);
CREATE POLICY dapper_tenants_shared_rows ON dt_check.shared AS PERMISSIVE FOR SELECT TO PUBLIC
    USING (tenant IS NULL AND NULLIF(current_setting(:'setting', true), '') IS NOT NULL);

-- Tenant-owned tables: distributed by the tenant column and co-located. Shared rows: a reference table.
SELECT create_distributed_table('dt_check.items', 'tenant') AS distributed \gset
SELECT create_distributed_table('dt_check.notes', 'tenant', colocate_with => 'dt_check.items') AS distributed \gset
SELECT create_reference_table('dt_check.shared') AS distributed \gset

-- Seeded by the owner before FORCE (the owner is then exempt): six tenants, five items and one note each.
INSERT INTO dt_check.items
SELECT 'tenant-' || t, i, 'tenant-' || t || ':' || i FROM unnest(ARRAY['a', 'b', 'c', 'd', 'e', 'f']) t, generate_series(1, 5) i;
INSERT INTO dt_check.notes SELECT tenant, id, payload || ':note' FROM dt_check.items WHERE id = 1;
INSERT INTO dt_check.shared VALUES (NULL, 1, 'shared:1'), (NULL, 2, 'shared:2'), ('tenant-a', 3, 'tenant-a:3'), ('tenant-b', 4, 'tenant-b:4');
ALTER TABLE dt_check.items FORCE ROW LEVEL SECURITY;
ALTER TABLE dt_check.notes FORCE ROW LEVEL SECURITY;
ALTER TABLE dt_check.shared FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON dt_check.items, dt_check.notes, dt_check.shared TO :"app_role";

-- Reads the number of tasks from a distributed EXPLAIN, as the caller (used in part B).
CREATE FUNCTION dt_check.task_count(query text) RETURNS int LANGUAGE plpgsql AS $fn$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN (jsonb_path_query_first(plan::jsonb, 'lax $.**."Task Count"'))::int;
END
$fn$;
GRANT EXECUTE ON FUNCTION dt_check.task_count(text) TO :"app_role";

SELECT coalesce(bool_and(success AND result = 't'), false) AS ok,
       count(*) || ' placements, ' || count(*) FILTER (WHERE NOT success OR result IS DISTINCT FROM 't') || ' without RLS enabled, forced and the policies' AS detail
FROM (
    SELECT success, result FROM run_command_on_placements('dt_check.items',
        $$SELECT c.relrowsecurity AND c.relforcerowsecurity AND (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) = 1 FROM pg_class c WHERE c.oid = '%s'::regclass$$)
    UNION ALL
    SELECT success, result FROM run_command_on_placements('dt_check.notes',
        $$SELECT c.relrowsecurity AND c.relforcerowsecurity AND (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) = 1 FROM pg_class c WHERE c.oid = '%s'::regclass$$)
    UNION ALL
    SELECT success, result FROM run_command_on_placements('dt_check.shared',
        $$SELECT c.relrowsecurity AND c.relforcerowsecurity AND (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) = 2 FROM pg_class c WHERE c.oid = '%s'::regclass$$)
) placements \gset
\if :ok
  \echo 'PASS  A1 every shard placement has RLS enabled and forced, and the policies:' :detail
\else
  \echo 'FAIL  A1 every shard placement has RLS enabled and forced, and the policies:' :detail
  SELECT :failures + 1 AS failures \gset
\endif

SELECT coalesce(bool_and(success AND result = 'f'), false) AS ok,
       string_agg('node ' || nodeid || ': ' || CASE WHEN NOT success THEN 'error ' || coalesce(result, '') WHEN result = 'f' THEN 'ok'
                                                    WHEN result = 't' THEN 'SUPERUSER or BYPASSRLS' ELSE 'no such role' END, ', ') AS detail
FROM run_command_on_all_nodes(format($$SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = %L$$, :'app_role')) \gset
\if :ok
  \echo 'PASS  A2 the application login exists on every node, neither superuser nor BYPASSRLS:' :detail
\else
  \echo 'FAIL  A2 the application login exists on every node, neither superuser nor BYPASSRLS:' :detail
  SELECT :failures + 1 AS failures \gset
\endif

\if :{?verifier}
  SELECT coalesce(bool_and(success AND result = 't'), false) AS ok, count(*) AS detail
  FROM run_command_on_all_nodes(format($$SELECT to_regprocedure(%L) IS NOT NULL$$, :'verifier')) \gset
  \if :ok
    \echo 'PASS  A3 the signed-context verifier' :verifier 'exists on all' :detail 'nodes'
  \else
    \echo 'FAIL  A3 the signed-context verifier' :verifier 'is missing on a node (of' :detail ')'
    SELECT :failures + 1 AS failures \gset
  \endif
\else
  \echo 'NOTE  A3 no -v verifier given: the signed-context verifier was not looked for'
\endif

\if :standin
  \echo 'NOTE  A4 stand-in run: shard placement of the tenants not checked'
\else
  SELECT count(DISTINCT s.nodename || ':' || s.nodeport) AS nodes,
         string_agg(t.tenant || '@' || s.nodename || ':' || s.nodeport, ' ' ORDER BY t.tenant) AS detail
  FROM unnest(ARRAY['tenant-a', 'tenant-b', 'tenant-c', 'tenant-d', 'tenant-e', 'tenant-f']) t(tenant)
  JOIN citus_shards s ON s.table_name = 'dt_check.items'::regclass
                     AND s.shardid = get_shard_id_for_distribution_column('dt_check.items', t.tenant) \gset
  \echo 'NOTE  A4 the six tenants live on' :nodes 'node(s):' :detail
\endif

\echo '== B. Isolation, as' :app_role
\connect - :app_role
SELECT current_user = :'app_role' AS ok, current_user AS detail \gset
\if :ok
  \echo 'PASS  B0 connected as the application login:' :detail
\else
  \echo 'FAIL  B0 connected as the application login:' :detail
  SELECT :failures + 1 AS failures \gset
\endif
SELECT coalesce(current_setting('citus.select_opens_transaction_block', true), 'on') <> 'off' AS ok \gset
\if :ok
  \echo 'PASS  B0 citus.select_opens_transaction_block is on (SELECTs in a transaction carry its SET LOCAL to the workers)'
\else
  \echo 'FAIL  B0 citus.select_opens_transaction_block is off: a SELECT would run on the workers without the tenant'
  SELECT :failures + 1 AS failures \gset
\endif

-- The context statement of the Citus mode: inside a transaction block, propagation on, the tenant as SET LOCAL.
BEGIN;
SET LOCAL citus.propagate_set_commands = 'local';
SET LOCAL :setting = 'tenant-a';

SELECT count(*) = 5 AS ok, count(*) AS detail FROM dt_check.items WHERE tenant = 'tenant-a' \gset
\if :ok
  \echo 'PASS  B1 router query on the own tenant sees its 5 rows:' :detail
\else
  \echo 'FAIL  B1 router query on the own tenant sees its 5 rows:' :detail
  SELECT :failures + 1 AS failures \gset
\endif

SELECT count(*) = 0 AS ok, count(*) AS detail FROM dt_check.items WHERE tenant = 'tenant-b' \gset
\if :ok
  \echo 'PASS  B2 router query on another tenant sees nothing:' :detail
\else
  \echo 'FAIL  B2 router query on another tenant sees nothing:' :detail
  SELECT :failures + 1 AS failures \gset
\endif

SELECT count(*) = 5 AND count(*) FILTER (WHERE tenant <> 'tenant-a') = 0 AS ok,
       count(*) || ' rows, ' || count(*) FILTER (WHERE tenant <> 'tenant-a') || ' of other tenants' AS detail
FROM dt_check.items \gset
\if :ok
  \echo 'PASS  B3 multi-shard query sees only the own tenant:' :detail
\else
  \echo 'FAIL  B3 multi-shard query sees only the own tenant:' :detail
  SELECT :failures + 1 AS failures \gset
\endif

\if :standin
  \echo 'NOTE  B4 stand-in run: task counts not checked'
\else
  SELECT dt_check.task_count($q$SELECT * FROM dt_check.items WHERE tenant = 'tenant-a'$q$) AS router_tasks,
         dt_check.task_count($q$SELECT * FROM dt_check.items$q$) AS all_tasks \gset
  SELECT :router_tasks = 1 AS ok \gset
  \if :ok
    \echo 'PASS  B4 the router query ran as 1 task'
  \else
    \echo 'FAIL  B4 the router query ran as' :router_tasks 'tasks, expected 1'
    SELECT :failures + 1 AS failures \gset
  \endif
  SELECT :all_tasks > 1 AS ok \gset
  \if :ok
    \echo 'PASS  B4 the query without a tenant filter ran on' :all_tasks 'shards (the policy does not prune), so B3 was multi-shard'
  \else
    \echo 'NOTE  B4 the query without a tenant filter ran as' :all_tasks 'task(s): Citus pruned by the policy, so B3 was not multi-shard'
  \endif
\endif

SAVEPOINT join_check;
\set ON_ERROR_STOP off
SELECT count(*) = 1 AND bool_and(i.tenant = 'tenant-a' AND n.tenant = 'tenant-a') AS ok, count(*) AS detail
FROM dt_check.items i JOIN dt_check.notes n ON n.tenant = i.tenant AND n.item_id = i.id \gset
\set state :SQLSTATE
\set ON_ERROR_STOP on
\if :ERROR
  ROLLBACK TO SAVEPOINT join_check;
  \echo 'FAIL  B5 co-located join failed with SQL state' :state '(Citus before 14.0 can refuse joins under RLS: citus#7969, fixed by citus#8357)'
  SELECT :failures + 1 AS failures \gset
\elif :ok
  \echo 'PASS  B5 co-located join sees only the own tenant:' :detail 'row'
\else
  \echo 'FAIL  B5 co-located join sees only the own tenant:' :detail 'rows'
  SELECT :failures + 1 AS failures \gset
\endif

SELECT count(*) = 3 AND count(*) FILTER (WHERE tenant IS NOT NULL AND tenant <> 'tenant-a') = 0 AS ok,
       count(*) || ' rows, ' || count(*) FILTER (WHERE tenant IS NOT NULL AND tenant <> 'tenant-a') || ' of other tenants' AS detail
FROM dt_check.shared \gset
\if :ok
  \echo 'PASS  B6 reference table shows the shared rows and the own row only:' :detail
\else
  \echo 'FAIL  B6 reference table shows the shared rows and the own row only:' :detail
  SELECT :failures + 1 AS failures \gset
\endif

SAVEPOINT insert_default;
\set ON_ERROR_STOP off
INSERT INTO dt_check.items (id, payload) VALUES (100, 'tenant-a:100');
\set state :SQLSTATE
\set ON_ERROR_STOP on
\if :ERROR
  ROLLBACK TO SAVEPOINT insert_default;
  \echo 'FAIL  B7 an INSERT without the tenant column failed with SQL state' :state
  SELECT :failures + 1 AS failures \gset
\else
  SELECT count(*) = 1 AS ok FROM dt_check.items WHERE tenant = 'tenant-a' AND id = 100 \gset
  \if :ok
    \echo 'PASS  B7 an INSERT without the tenant column is stamped with the own tenant by the column default'
  \else
    \echo 'FAIL  B7 an INSERT without the tenant column is stamped with the own tenant by the column default'
    SELECT :failures + 1 AS failures \gset
  \endif
\endif

SAVEPOINT insert_foreign;
\set ON_ERROR_STOP off
INSERT INTO dt_check.items (tenant, id, payload) VALUES ('tenant-b', 101, 'written by tenant-a');
\set state :SQLSTATE
\set ON_ERROR_STOP on
ROLLBACK TO SAVEPOINT insert_foreign;
SELECT :'state' = '42501' AS ok \gset
\if :ok
  \echo 'PASS  B8 an INSERT of another tenant''s value is refused by the policy (42501)'
\else
  \echo 'FAIL  B8 an INSERT of another tenant''s value is refused by the policy: SQL state' :state
  SELECT :failures + 1 AS failures \gset
\endif

UPDATE dt_check.items SET payload = 'written by tenant-a' WHERE tenant = 'tenant-b';
SELECT :ROW_COUNT = 0 AS ok, :ROW_COUNT AS detail \gset
\if :ok
  \echo 'PASS  B9 a router UPDATE of another tenant''s rows affects none'
\else
  \echo 'FAIL  B9 a router UPDATE of another tenant''s rows affects none:' :detail
  SELECT :failures + 1 AS failures \gset
\endif

UPDATE dt_check.items SET payload = payload || ':touched';
SELECT :ROW_COUNT = 6 AS ok, :ROW_COUNT AS detail \gset
\if :ok
  \echo 'PASS  B10 a multi-shard UPDATE affects only the own 6 rows'
\else
  \echo 'FAIL  B10 a multi-shard UPDATE affects only the own 6 rows:' :detail
  SELECT :failures + 1 AS failures \gset
\endif

DELETE FROM dt_check.notes WHERE tenant <> 'tenant-a';
SELECT :ROW_COUNT = 0 AS ok, :ROW_COUNT AS detail \gset
\if :ok
  \echo 'PASS  B11 a multi-shard DELETE of other tenants'' rows affects none'
\else
  \echo 'FAIL  B11 a multi-shard DELETE of other tenants'' rows affects none:' :detail
  SELECT :failures + 1 AS failures \gset
\endif

SAVEPOINT move_row;
\set ON_ERROR_STOP off
UPDATE dt_check.items SET tenant = 'tenant-b' WHERE tenant = 'tenant-a' AND id = 2;
\set state :SQLSTATE
\set ON_ERROR_STOP on
ROLLBACK TO SAVEPOINT move_row;
SELECT :'state' <> '00000' AS ok \gset
\if :ok
  \echo 'PASS  B12 moving an own row to another tenant is refused: SQL state' :state
\else
  \echo 'FAIL  B12 moving an own row to another tenant succeeded'
  SELECT :failures + 1 AS failures \gset
\endif

UPDATE dt_check.shared SET payload = 'written by tenant-a' WHERE tenant IS NULL;
SELECT :ROW_COUNT = 0 AS ok, :ROW_COUNT AS detail \gset
\if :ok
  \echo 'PASS  B13 shared rows cannot be updated by a tenant'
\else
  \echo 'FAIL  B13 shared rows cannot be updated by a tenant:' :detail
  SELECT :failures + 1 AS failures \gset
\endif

-- The library sends the tenant again after a rollback to a savepoint; Citus restores SET LOCAL per subtransaction.
SAVEPOINT other_tenant;
SET LOCAL :setting = 'tenant-b';
SELECT count(*) = 5 AND count(*) FILTER (WHERE tenant <> 'tenant-b') = 0 AS ok, count(*) AS detail FROM dt_check.items \gset
\if :ok
  \echo 'PASS  B14 SET LOCAL after a savepoint switches every worker to the new tenant'
\else
  \echo 'FAIL  B14 SET LOCAL after a savepoint switches every worker to the new tenant:' :detail
  SELECT :failures + 1 AS failures \gset
\endif
ROLLBACK TO SAVEPOINT other_tenant;
SELECT count(*) = 6 AND count(*) FILTER (WHERE tenant <> 'tenant-a') = 0 AS ok, count(*) AS detail FROM dt_check.items \gset
\if :ok
  \echo 'PASS  B14 rolling back to the savepoint restores the own tenant on every worker'
\else
  \echo 'FAIL  B14 rolling back to the savepoint restores the own tenant on every worker:' :detail
  SELECT :failures + 1 AS failures \gset
\endif
COMMIT;

-- Prepared statements: Citus caches a plan after a few executions; the tenant must still come from the setting.
PREPARE dt_check_all(text) AS SELECT count(*) FILTER (WHERE tenant <> $1) AS foreign_rows, count(*) AS all_rows FROM dt_check.items;
PREPARE dt_check_router(text) AS SELECT count(*) AS all_rows FROM dt_check.items WHERE tenant = $1;
BEGIN;
SET LOCAL citus.propagate_set_commands = 'local';
SET LOCAL :setting = 'tenant-c';
\o /dev/null
SELECT 'EXECUTE dt_check_all(''tenant-c'')' FROM generate_series(1, 7) \gexec
SELECT 'EXECUTE dt_check_router(''tenant-c'')' FROM generate_series(1, 7) \gexec
\o
COMMIT;
BEGIN;
SET LOCAL citus.propagate_set_commands = 'local';
SET LOCAL :setting = 'tenant-d';
EXECUTE dt_check_all('tenant-d') \gset
SELECT :foreign_rows = 0 AND :all_rows = 5 AS ok \gset
\if :ok
  \echo 'PASS  B15 a prepared multi-shard query run 8 times reads the tenant of the current transaction'
\else
  \echo 'FAIL  B15 a prepared multi-shard query reads' :all_rows 'rows,' :foreign_rows 'of another tenant'
  SELECT :failures + 1 AS failures \gset
\endif
EXECUTE dt_check_router('tenant-c') \gset
SELECT :all_rows = 0 AS ok \gset
\if :ok
  \echo 'PASS  B15 a prepared router query for another tenant run 8 times sees nothing'
\else
  \echo 'FAIL  B15 a prepared router query for another tenant sees' :all_rows 'rows'
  SELECT :failures + 1 AS failures \gset
\endif
COMMIT;
DEALLOCATE dt_check_all;
DEALLOCATE dt_check_router;

-- Without a tenant: nothing, shared rows included.
BEGIN;
SELECT (SELECT count(*) FROM dt_check.items) + (SELECT count(*) FROM dt_check.shared) = 0 AS ok \gset
COMMIT;
\if :ok
  \echo 'PASS  B16 without a tenant nothing is visible (fails closed)'
\else
  \echo 'FAIL  B16 without a tenant rows are visible'
  SELECT :failures + 1 AS failures \gset
\endif

-- The non-Citus context (set_config outside a transaction block) must never show another tenant's rows: on Citus the
-- workers do not receive it, so a multi-shard query sees nothing (or only rows of shards on the coordinator).
SELECT set_config(:'setting', 'tenant-e', false) IS NOT NULL AS ok \gset
SELECT count(*) FILTER (WHERE tenant <> 'tenant-e') = 0 AS ok, count(*) AS detail FROM dt_check.items \gset
SELECT set_config(:'setting', '', false) IS NOT NULL AS reset \gset
\if :ok
  \echo 'PASS  B17 with set_config (not propagated), no row of another tenant is visible; rows seen:' :detail
\else
  \echo 'FAIL  B17 with set_config, rows of another tenant are visible'
  SELECT :failures + 1 AS failures \gset
\endif

\echo '== C. What the application login wrote, as' :admin_user
\connect - :admin_user
SELECT count(*) FILTER (WHERE tenant <> 'tenant-a' AND payload <> tenant || ':' || id) = 0
       AND count(*) FILTER (WHERE tenant <> 'tenant-a') = 25
       AND count(*) FILTER (WHERE tenant = 'tenant-a' AND payload LIKE '%:touched') = 6 AS ok,
       count(*) AS detail
FROM dt_check.items \gset
\if :ok
  \echo 'PASS  C1 other tenants'' rows are untouched, the own 6 rows were updated, and nothing else was written'
\else
  \echo 'FAIL  C1 other tenants'' rows changed, or writes went astray:' :detail 'rows in dt_check.items'
  SELECT :failures + 1 AS failures \gset
\endif
SELECT (SELECT count(*) FROM dt_check.notes) = 6
       AND (SELECT count(*) FROM dt_check.shared WHERE payload LIKE 'written by%') = 0 AS ok \gset
\if :ok
  \echo 'PASS  C2 notes and shared rows are untouched'
\else
  \echo 'FAIL  C2 notes or shared rows changed'
  SELECT :failures + 1 AS failures \gset
\endif

\if :{?keep}
  \echo 'kept: schema dt_check'
\else
  DROP SCHEMA dt_check CASCADE;
\endif

SELECT :failures = 0 AS ok \gset
\if :ok
  \echo 'RESULT: PASS'
\else
  \echo 'RESULT: FAIL (' :failures 'check(s) failed)'
  DO $$ BEGIN RAISE EXCEPTION 'the Citus isolation checklist failed'; END $$;
\endif
