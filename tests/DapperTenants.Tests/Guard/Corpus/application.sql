-- Application SQL as a multi-tenant Dapper application sends it on a tenant connection: one command per block, blocks
-- separated by a line of three dashes. Placeholders follow Dapper's @Name; the corpus test binds each by its name
-- (GuardCorpusTests.Bind). Every command is legitimate and must pass the guard with the default options; the database
-- test runs each one on PostgreSQL through a TenantConnection. Written for this project.
select id, name, email from customers order by name
---
select id, name, email, created_at from customers where id = @Id
---
select * from customers where email = @Email
---
select id, name from customers where name ilike @Pattern order by name limit @Limit
---
select count(*) from customers
---
select exists (select 1 from customers where email = @Email)
---
select c.id, c.name, count(o.id) as orders, coalesce(sum(o.total), 0) as revenue
from customers c left join orders o on o.customer_id = c.id
group by c.id, c.name
order by revenue desc
limit 10
---
select o.id, o.status, o.total, c.name as customer
from orders o
join customers c on c.id = o.customer_id
where o.created_at >= @Since
order by o.created_at desc
---
select o.* from orders o where o.id = any(@Ids)
---
select id, total from orders where status in ('new', 'paid') and total between 10 and 500
---
select id, total from orders where (created_at, id) < (@At, @Id) order by created_at desc, id desc limit 20
---
select id, total from orders order by id offset @Offset limit @Limit
---
select status, count(*) as n, sum(total) as total, avg(total)::numeric(12, 2) as average
from orders group by status order by n desc
---
select date_trunc('month', created_at) as month, count(*) as orders, sum(total) as revenue
from orders
where created_at >= now() - interval '1 year'
group by 1
order by 1
---
select customer_id, id, total,
       sum(total) over (partition by customer_id order by created_at) as running_total,
       row_number() over (partition by customer_id order by created_at desc) as recency
from orders
---
select id, total, rank() over (order by total desc) as rank, ntile(4) over (order by total) as quartile from orders
---
select id, total, lag(total) over w as previous, lead(total) over w as next
from orders window w as (partition by customer_id order by created_at)
---
select customer_id, percentile_cont(0.5) within group (order by total) as median from orders group by customer_id
---
select status, count(*) filter (where total > 100) as large, count(*) filter (where total <= 100) as small from orders group by status
---
select distinct on (customer_id) customer_id, id, created_at from orders order by customer_id, created_at desc
---
select status, date_trunc('day', created_at) as day, count(*) from orders group by grouping sets ((status), (day), ())
---
select customer_id, status, count(*) from orders group by rollup (customer_id, status)
---
with recent as (
    select * from orders where created_at > now() - interval '30 days'
)
select c.name, count(*) from recent r join customers c on c.id = r.customer_id group by c.name
---
with totals as (
    select customer_id, sum(total) as spent from orders group by customer_id
), ranked as (
    select customer_id, spent, dense_rank() over (order by spent desc) as position from totals
)
select c.name, r.spent, r.position from ranked r join customers c on c.id = r.customer_id where r.position <= 5
---
with recursive calendar(day) as (
    select current_date - 6
    union all
    select day + 1 from calendar where day < current_date
)
select c.day, count(o.id) from calendar c left join orders o on o.created_at::date = c.day group by c.day order by c.day
---
select c.id, c.name, last_order.id as last_order_id, last_order.total
from customers c
cross join lateral (select id, total from orders o where o.customer_id = c.id order by created_at desc limit 1) last_order
---
select c.id, c.name from customers c where not exists (select 1 from orders o where o.customer_id = c.id)
---
select id from orders where customer_id = @CustomerId
union
select order_id from invoices where paid
---
select id from orders intersect select order_id from invoices
---
select id from orders except select order_id from invoices
---
select o.id, case when o.total >= 1000 then 'large' when o.total >= 100 then 'medium' else 'small' end as size from orders o
---
select id, coalesce(note, '(none)') as note, nullif(status, 'new') as status from orders
---
select id, upper(name), lower(email), length(name), left(name, 3), split_part(email, '@', 2) as domain from customers
---
select id, name || ' <' || coalesce(email, '?') || '>' as display from customers
---
select id, format('%s (%s)', name, email) from customers
---
select id, regexp_replace(name, '\s+', ' ', 'g') from customers
---
select id, to_char(created_at, 'YYYY-MM-DD HH24:MI') as created from orders
---
select id, extract(year from created_at) as year, extract(dow from created_at) as weekday from orders
---
select id, age(now(), created_at) as age, created_at + interval '14 days' as due from orders
---
select now(), current_date, current_timestamp, localtimestamp, clock_timestamp()
---
select generate_series(1, 12) as month
---
select * from generate_series(@Since::date, @Until::date, interval '1 day') as day
---
select id, metadata ->> 'plan' as plan, metadata -> 'limits' ->> 'seats' as seats from customers
---
select id from customers where metadata @> '{"plan": "pro"}'
---
select id from customers where metadata ? 'trial'
---
select id, jsonb_array_length(coalesce(metadata -> 'contacts', '[]'::jsonb)) as contacts from customers
---
select key, count(*) from customers, jsonb_each(metadata) group by key
---
select jsonb_build_object('id', id, 'name', name, 'tags', tags) from customers
---
select json_agg(o order by o.id) from (select id, total from orders limit 5) o
---
select jsonb_agg(jsonb_build_object('id', id, 'status', status)) from orders
---
select id, jsonb_path_query_array(payload, '$.items[*].sku') from events where kind = 'order.created'
---
select kind, payload #>> '{customer,name}' as customer from events order by at desc limit 50
---
select id from events where payload @? '$.items[*] ? (@.quantity > 1)'
---
select id, tags from customers where tags && @Tags
---
select id from customers where 'vip' = any(tags)
---
select id, array_length(tags, 1), tags[1] as first_tag from customers
---
select unnest(tags) as tag, count(*) from customers group by tag order by count(*) desc
---
select array_agg(id order by id) from orders where status = @Status
---
select string_agg(name, ', ' order by name) from customers
---
select id, title, ts_rank(search, query) as rank
from documents, websearch_to_tsquery('english', @Search) query
where search @@ query
order by rank desc
limit 10
---
select id, ts_headline('english', body, plainto_tsquery('english', @Search)) from documents where search @@ plainto_tsquery('english', @Search)
---
select id, title from documents where title ilike '%' || @Search || '%'
---
select p.id, p.name, p.price from products p where p.active order by p.price
---
select p.sku, sum(l.quantity) as sold from order_lines l join products p on p.id = l.product_id group by p.sku order by sold desc
---
select o.id, sum(l.quantity * l.unit_price) as computed, o.total from orders o join order_lines l on l.order_id = o.id group by o.id, o.total having sum(l.quantity * l.unit_price) <> o.total
---
select i.number, i.amount, i.amount - coalesce(sum(p.amount), 0) as outstanding
from invoices i left join payments p on p.invoice_id = i.id
group by i.id
having i.amount > coalesce(sum(p.amount), 0)
---
select * from invoices where not paid and due_at < current_date order by due_at
---
select id, number from invoices where id = @InvoiceId
---
select method, count(*), sum(amount) from payments where paid_at >= @Since group by method
---
select c.code, c.name from countries c order by c.name
---
select tenant, count(*) from orders group by tenant
---
select current_setting('dapper_tenants.tenant', true) as tenant
---
select current_user, session_user, version()
---
select pg_size_pretty(pg_total_relation_size('orders'))
---
select 1
---
select @Id::int as id, @Name::text as name
---
select :Id::int as id
---
values (1, 'one'), (2, 'two')
---
table countries
---
select * from orders where id = @Id for update
---
select * from jobs where state = 'queued' and run_after <= now() order by id limit 1 for update skip locked
---
select * from orders where id = @Id for no key update nowait
---
select o.id from orders o join customers c on c.id = o.customer_id where c.id = @CustomerId for share of o
---
explain select * from orders where customer_id = @CustomerId
---
explain (costs off) select * from orders where id = 1
---
explain (format json) select count(*) from orders
---
explain (verbose, costs off) select * from customers c join orders o on o.customer_id = c.id
---
show statement_timeout
---
show time zone
---
select name, setting from pg_settings where name in ('work_mem', 'statement_timeout')
---
select relname from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace order by relname
---
select column_name, data_type from information_schema.columns where table_name = 'orders' order by ordinal_position
---
select pg_notify('orders', @Payload)
---
notify orders, 'refresh'
---
select pg_advisory_xact_lock(hashtext('nightly-report'))
---
select pg_try_advisory_xact_lock(42)
---
select pg_sleep(0)
---
select gen_random_uuid()
---
select md5(@Name), sha256(convert_to(@Name, 'UTF8'))
---
select encode(convert_to('hello', 'UTF8'), 'base64')
---
select 'a' < 'b', 1 + 2 * 3, 7 / 2, 7 % 2, 2 ^ 10, abs(-5), round(2.567, 2), greatest(1, 2, 3), least(1, 2)
---
select '2024-01-01'::date + 30, '1 day'::interval * 3, now()::date - '2024-01-01'::date
---
select 'set_config(''dapper_tenants.tenant'', ''x'', false)' as not_a_call
---
select 'do $$ begin end $$; reset all; set role x' as text_that_looks_like_sql
---
select $$explain analyze select 1$$ as text, $tag$create temp table t$tag$ as more
---
select id /* set role admin */ from orders -- reset all
---
insert into customers (id, name, email) values (@Id, @Name, @Email)
---
insert into customers (id, tenant, name, email) values (@Id, @Tenant, @Name, @Email)
---
insert into customers (id, tenant, name) values (1001, 'acme', 'Literal Ltd')
---
insert into customers (id, name, email, tags, metadata) values (@Id, @Name, @Email, @Tags, @Metadata::jsonb)
---
insert into customers (id, name, email) values (@Id, @Name, @Email) returning id, created_at
---
insert into customers (id, name) values (1002, 'Ada'), (1003, 'Alan'), (1004, 'Grace')
---
insert into customers (id, name, email) values (@Id, @Name, @Email)
on conflict (id) do update set name = excluded.name, email = excluded.email
---
insert into customers (id, name, email) values (@Id, @Name, @Email)
on conflict (tenant, email) do nothing
---
insert into customers as c (id, name, email) values (@Id, @Name, @Email)
on conflict (id) do update set name = excluded.name where c.name is distinct from excluded.name
returning (xmax = 0) as inserted
---
insert into customers (id, tenant, name) values (@Id, @Tenant, @Name)
on conflict (id) do update set tenant = excluded.tenant, name = excluded.name
---
insert into orders (id, customer_id, status, total) values (@Id, @CustomerId, 'new', @Total)
---
insert into orders (id, tenant, customer_id, total, note) values (@Id, @Tenant, @CustomerId, @Total, @Note)
---
insert into orders (id, customer_id, total, created_at) values (@Id, @CustomerId, @Total, @At)
---
insert into orders (id, customer_id, total)
select 2000 + g, 1, g * 10 from generate_series(1, 5) g
---
insert into orders (id, tenant, customer_id, total)
select 2100 + g, 'acme', 1, 0 from generate_series(1, 3) g
---
insert into orders (id, tenant, customer_id, total) select @Id, @Tenant, id, 0 from customers where id = @CustomerId
---
insert into order_lines (order_id, product_id, quantity, unit_price)
select @OrderId, p.id, 1, p.price from products p where p.sku = @Sku
---
insert into order_lines (tenant, order_id, product_id, quantity, unit_price) values ('acme', 1, 1, 2, 9.99), ('acme', 1, 2, 1, 19.99)
---
insert into invoices (order_id, number, amount, due_at) values (@OrderId, @Number, @Amount, current_date + 30) returning id
---
insert into invoices (tenant, order_id, number, amount) values (@Tenant, @OrderId, @Number, @Amount)
---
insert into payments (invoice_id, amount, method) values (@InvoiceId, @Amount, @Method)
---
insert into events (kind, payload) values (@Kind, @Payload::jsonb)
---
insert into events (tenant, kind, payload) values (@Tenant, 'customer.created', jsonb_build_object('id', @Id))
---
insert into events (kind, payload) select 'order.total', jsonb_build_object('id', id, 'total', total) from orders where id = @Id
---
insert into documents (id, title, body) values (@Id, @Title, @Body)
---
insert into jobs (kind, payload) values (@Kind, @Payload::jsonb) returning id
---
insert into jobs (tenant, kind, run_after) values (@Tenant, 'reminder', now() + interval '1 hour')
---
insert into audit_log (tenant, action) values (@Tenant, @Action)
---
insert into audit_log (action) values ('login')
---
update customers set name = @Name where id = @Id
---
update customers set email = @Email, metadata = metadata || @Metadata::jsonb where id = @Id
---
update customers set tags = array_append(tags, @Tag) where id = @Id and not (@Tag = any(tags))
---
update customers set tags = array_remove(tags, @Tag) where id = @Id
---
update customers set metadata = jsonb_set(metadata, '{plan}', to_jsonb(@Plan::text)) where id = @Id
---
update customers set tenant = @Tenant, name = @Name where id = @Id
---
update customers set tenant = 'acme' where id = @Id
---
update orders set status = 'shipped', shipped_at = now() where id = @Id and status = 'paid' returning id, shipped_at
---
update orders set total = total * 1.1 where created_at < @Since
---
update orders o set total = s.sum
from (select order_id, sum(quantity * unit_price) as sum from order_lines group by order_id) s
where s.order_id = o.id
---
update orders set (status, note) = ('cancelled', @Note) where id = @Id
---
update orders set (status, total) = (select 'repriced', coalesce(sum(quantity * unit_price), 0) from order_lines where order_id = orders.id) where id = @Id
---
update orders set status = case when total > 1000 then 'review' else status end
---
update invoices set paid = true where id = @InvoiceId
---
update invoices i set paid = true
where not i.paid and i.amount <= (select coalesce(sum(amount), 0) from payments p where p.invoice_id = i.id)
---
update jobs set state = 'running', attempts = attempts + 1 where id = (
    select id from jobs where state = 'queued' order by id limit 1 for update skip locked
) returning id, kind, payload
---
update jobs set state = 'failed', run_after = now() + make_interval(secs => power(2, attempts)::int) where id = @Id
---
delete from customers where id = @Id
---
delete from orders where id = any(@Ids)
---
delete from order_lines l using orders o where o.id = l.order_id and o.status = 'cancelled'
---
delete from events where at < now() - interval '90 days' returning id
---
delete from jobs where state = 'done' and run_after < @Since
---
with moved as (
    delete from jobs where state = 'done' returning id, tenant, kind
)
insert into audit_log (tenant, action) select tenant, 'job ' || kind || ' archived' from moved
---
with created as (
    insert into orders (id, customer_id, total) values (@Id, @CustomerId, 0) returning id
)
insert into order_lines (order_id, product_id, quantity, unit_price)
select created.id, p.id, 1, p.price from created, products p where p.sku = @Sku
---
with updated as (
    update orders set status = 'paid' where id = @Id returning id, total
)
insert into events (kind, payload) select 'order.paid', jsonb_build_object('id', id, 'total', total) from updated
---
with input(id, name) as (values (3001, 'Hopper'), (3002, 'Lovelace'))
insert into customers (id, name) select id, name from input
---
merge into customers c
using (values (@Id, @Name, @Email)) as s(id, name, email)
on c.id = s.id
when matched then update set name = s.name, email = s.email
when not matched then insert (id, name, email) values (s.id, s.name, s.email)
---
merge into orders o
using (select order_id, sum(quantity * unit_price) as sum from order_lines group by order_id) s
on o.id = s.order_id
when matched and o.total <> s.sum then update set total = s.sum
when matched then do nothing
---
merge into customers c
using (select @Id as id, @Tenant as tenant, @Name as name) s
on c.id = s.id
when not matched then insert (id, tenant, name) values (s.id, s.tenant, s.name)
---
merge into invoices i using payments p on p.invoice_id = i.id
when matched and p.amount >= i.amount then update set paid = true
---
begin;
insert into orders (id, customer_id, total) values (@OtherId, @CustomerId, @Total) on conflict (id) do nothing;
insert into events (kind, payload) values ('order.created', jsonb_build_object('id', @OtherId));
commit;
---
begin isolation level serializable;
update orders set status = 'paid' where id = @Id;
commit;
---
start transaction read only;
select count(*) from orders;
commit;
---
begin;
set local statement_timeout = '5s';
select count(*) from orders;
commit;
---
begin;
set local work_mem = '64MB';
set local enable_seqscan = off;
select * from orders where customer_id = 1;
rollback;
---
begin;
select set_config('application_name', 'billing-worker', true);
select set_config('statement_timeout', @Timeout, true);
commit;
---
begin;
savepoint before_risky;
update orders set status = 'review' where id = @Id;
rollback to savepoint before_risky;
release savepoint before_risky;
commit;
---
begin;
lock table jobs in share row exclusive mode;
select count(*) from jobs;
commit;
---
begin;
declare recent cursor for select id, total from orders order by created_at desc;
fetch 10 from recent;
close recent;
commit;
---
begin;
declare big no scroll cursor without hold for select * from events;
fetch forward 100 from big;
move forward 100 in big;
close big;
commit;
---
begin;
set transaction isolation level repeatable read;
select sum(total) from orders;
commit;
---
begin;
set constraints all deferred;
commit;
---
begin;
select pg_advisory_xact_lock(1);
update jobs set state = 'queued' where state = 'running' and run_after < now() - interval '1 hour';
commit;
---
create temp table import_rows (id int, name text, email text) on commit drop
---
begin;
create temp table staging (id int primary key, total numeric) on commit drop;
insert into staging values (1, 10), (2, 20);
update orders o set total = s.total from staging s where s.id = o.id;
commit;
---
begin;
create temporary table report on commit drop as select customer_id, sum(total) as total from orders group by customer_id;
select * from report order by total desc;
commit;
---
create temp table session_scratch (id int)
---
create temporary table if not exists session_scratch2 (key text primary key, value jsonb)
---
begin;
create temp table tmp_ids (id int) on commit delete rows;
insert into tmp_ids select id from orders;
select count(*) from tmp_ids;
commit;
---
select id, total into temp table order_snapshot from orders
---
create table if not exists work.cache (key text primary key, value jsonb, expires_at timestamptz)
---
create table if not exists work.report_runs (id bigint generated always as identity primary key, started_at timestamptz default now(), rows int)
---
create unlogged table if not exists work.rate_limits (key text primary key, hits int not null default 0)
---
create table work.order_copy as select id, status, total from orders with no data
---
create index if not exists cache_expiry on work.cache (expires_at)
---
create view work.open_orders as select id, customer_id, total from orders where status <> 'done'
---
create or replace view work.big_orders as select * from orders where total > 1000
---
create sequence if not exists work.ticket_numbers start 1000
---
select nextval('work.ticket_numbers')
---
create type work.priority as enum ('low', 'normal', 'high')
---
create domain work.positive_amount as numeric check (value > 0)
---
alter table work.cache add column if not exists hits int not null default 0
---
alter table work.cache alter column value set default '{}'
---
alter table work.cache rename column expires_at to valid_until
---
alter table work.rate_limits set logged
---
comment on table work.cache is 'Computed values, safe to drop'
---
drop view if exists work.big_orders
---
drop table if exists work.order_copy
---
truncate work.rate_limits
---
analyze work.cache
---
vacuum work.rate_limits
---
grant select on work.cache to public
---
create policy cache_reader on work.cache using (true)
---
alter table work.cache enable row level security
---
drop schema if exists work_tmp cascade
---
discard temp
---
discard plans
---
discard sequences
---
deallocate all
---
reset statement_timeout
---
reset search_path
---
reset role
---
set statement_timeout = '10s'
---
set search_path = public
---
set time zone 'UTC'
---
set application_name = 'reports'
---
set session work_mem = '32MB'
---
select set_config('application_name', @Name, false)
---
select pg_advisory_lock(hashtext('migration'))
---
select pg_advisory_unlock(hashtext('migration'))
---
select pg_advisory_unlock_all()
---
listen order_events
---
unlisten order_events
---
prepare recent_orders(int) as select id, total from orders where customer_id = $1 order by created_at desc limit 5;
execute recent_orders(1);
deallocate recent_orders
---
declare durable cursor with hold for select id from customers
---
close all
---
select query_to_xml('select id, name from customers order by id', true, false, '')
---
select query_to_xmlschema('select id, total from orders', false, false, '')
---
select * from ts_stat('select search from documents') order by nentry desc limit 10
---
select ts_rewrite('a & b'::tsquery, 'a'::tsquery, 'c'::tsquery)
---
select table_to_xml('countries', true, false, '')
---
select word, ndoc from ts_stat($q$select to_tsvector('english', title) from documents$q$) order by ndoc desc
---
select count(*) from orders where created_at >= date_trunc('week', now())
---
select id from orders where note is null and shipped_at is not null
---
select id from customers where email like '%@example.com' escape '\'
---
select id from customers where email similar to '%(example|test)\.com'
---
select id from customers where email ~* '^[a-z]+@'
---
select id from orders where total is distinct from 0
---
select id from orders where created_at at time zone 'UTC' > '2024-01-01'
---
select id from orders where coalesce(shipped_at, created_at) > @Since
---
select a.id, b.id from orders a join orders b on a.customer_id = b.customer_id and a.id < b.id limit 10
---
select c.name, o.id from customers c full outer join orders o on o.customer_id = c.id
---
select * from customers c natural join (select id, tenant from orders) o
---
select x.* from (values (1, 'a'), (2, 'b')) as x(id, label)
---
select * from rows from (generate_series(1, 3), generate_series(10, 12)) as t(a, b)
---
select * from unnest(@Ids::int[]) with ordinality as t(id, position)
---
select id, (select count(*) from order_lines l where l.order_id = o.id) as lines from orders o
---
select id from orders o where total > (select avg(total) from orders)
---
select id from orders where customer_id in (select id from customers where 'vip' = any(tags))
---
select id, total, total - avg(total) over () as delta from orders
---
select id, first_value(id) over (partition by status order by total) from orders
---
select customer_id, array_agg(distinct status) from orders group by customer_id
---
select bool_and(paid), bool_or(paid), count(*) from invoices
---
select min(created_at), max(created_at) from orders
---
select customer_id, count(*) from orders group by customer_id having count(*) > 1 order by 2 desc
---
select * from orders order by total desc nulls last fetch first 5 rows with ties
---
select * from orders tablesample system (50)
---
select o.id, c.name from orders o, customers c where o.customer_id = c.id and c.id = @CustomerId
---
select o.id from only orders o
---
select cast(total as int), total::text, '42'::int, 'yes'::boolean, '{1,2}'::int[] from orders limit 1
---
select row(id, total) from orders limit 1
---
select (o).id from (select o from orders o) s limit 1
---
select to_json(c) from customers c limit 1
---
select row_to_json(t) from (select id, name from customers) t
---
select jsonb_pretty(metadata) from customers where id = @Id
---
select jsonb_object_agg(id, total) from orders
---
select * from jsonb_to_recordset('[{"a": 1, "b": "x"}]'::jsonb) as r(a int, b text)
---
select * from json_populate_record(null::countries, '{"code": "NL", "name": "Netherlands"}')
---
select xmlelement(name customer, xmlattributes(id as id), name) from customers
---
select array(select id from orders order by id limit 3)
---
select '{"a": [1, 2]}'::jsonb #> '{a,0}'
---
select 'acme' as tenant, count(*) from orders
---
select id from orders where tenant = 'acme'
---
select id from orders where tenant = @Tenant
---
select id from customers where tenant = current_setting('dapper_tenants.tenant')
---
select * from audit_log where tenant = @Tenant order by at desc limit 100
---
update audit_log set action = 'seen' where tenant = 'globex' and false
---
insert into events (kind, payload) values ('note', '{"text": "set role admin; reset all"}')
---
insert into documents (id, title, body) values (@Id, 'How to DO blocks', 'Use do $$ ... $$ and explain analyze carefully; set_config(''x'', ''y'', false).')
---
update documents set body = body || E'\nEdited: create function is not needed.' where id = @Id
---
select id from documents where body like '%query_to_xml(%'
---
select id from "orders" where "status" = 'new'
---
select "o".id from public."orders" as "o"
---
select U&"\0069d" from orders limit 1
---
select E'tab\there', U&'caf\00e9', B'101', X'1F', N'national'
---
select 1; select 2; select 3
---
select count(*) from orders; select count(*) from customers
---
insert into audit_log (action) values ('a'); insert into audit_log (action) values ('b')
---
update orders set note = 'checked' where id = @Id; select id, note from orders where id = @Id
---
select pg_catalog.now(), pg_catalog.lower('X')
---
select "set_config" from (select 1 as "set_config") s
---
select s.query_to_xml from (select 1 as query_to_xml) s
---
select id from orders where status = 'do'
---
select id as "execute", status as "prepare", total as "explain" from orders
---
select 1 as do, 2 as execute, 3 as listen
---
select pg_sleep(0)
