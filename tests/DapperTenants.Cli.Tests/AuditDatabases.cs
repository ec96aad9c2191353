namespace DapperTenants.Cli.Tests;

/// <summary>The SQL that builds the audit tests' databases: one with every problem planted, one clean.</summary>
public static class AuditDatabases
{
    /// <summary>A table the audit has nothing to say about: tenant-led key, RLS enabled and forced, a tenant policy.</summary>
    public static string Protected(string table, string extraColumns = "") => $"""
        create table {table} (tenant text not null, id int not null{extraColumns}, primary key (tenant, id));
        alter table {table} enable row level security;
        alter table {table} force row level security;
        create policy tenant_isolation on {table}
            using (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')))
            with check (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')));
        """;

    /// <summary>Run as the owner. Each table or object carries exactly one problem, named in a comment.</summary>
    public static string PlantedAsOwner => string.Join(Environment.NewLine,
        Protected("clean_rows"),
        "create policy only_positive on clean_rows as restrictive using (id > 0);        -- restrictive: never widens",
        "create table no_rls (tenant text not null, id int not null, primary key (tenant, id));   -- DT001",
        Protected("not_forced"),
        "alter table not_forced no force row level security;                             -- DT002",
        "create table no_policy (tenant text not null, id int not null, primary key (tenant, id));",
        "alter table no_policy enable row level security; alter table no_policy force row level security;   -- DT003",
        Protected("open_policy"),
        "create policy open_read on open_policy for select using (true);                 -- DT004",
        Protected("public_policy"),
        "create policy positive_ids on public_policy using (id > 0);                     -- DT005",
        "create table no_index (tenant text not null, id int not null primary key);",
        "alter table no_index enable row level security; alter table no_index force row level security;",
        "create policy tenant_isolation on no_index using (tenant = nullif(current_setting('dapper_tenants.tenant', true), ''));   -- DT020",
        Protected("parents"),
        "alter table parents add constraint parents_id_key unique (id);",
        "create table children (id int primary key, parent_id int not null constraint children_parent_fk references parents (id));   -- DT030",
        Protected("good_children", ", parent_id int not null"),
        "alter table good_children add foreign key (tenant, parent_id) references parents (tenant, id);   -- composite: fine",
        "create view owner_view as select * from not_forced;                            -- DT040: owner of an unforced table",
        "create view fine_view as select * from clean_rows;                              -- owner, but FORCEd: fine",
        "create materialized view rows_snapshot as select * from clean_rows;             -- DT041",
        "create function owner_peek() returns bigint language sql security definer as $$ select count(*) from public.not_forced $$;   -- DT042",
        "create table events (tenant text not null, id int not null, primary key (tenant, id)) partition by list (tenant);",
        "alter table events enable row level security; alter table events force row level security;",
        "create policy tenant_isolation on events using (tenant = nullif(current_setting('dapper_tenants.tenant', true), ''));",
        "create table events_acme partition of events for values in ('acme');          -- DT050",
        "create table events_globex partition of events for values in ('globex');",
        "alter table events_globex enable row level security; alter table events_globex force row level security;",
        "create policy tenant_isolation on events_globex using (tenant = nullif(current_setting('dapper_tenants.tenant', true), ''));",
        Protected("owned_rows"),
        Protected("trunc_rows"),
        Protected("ref_rows"));

    /// <summary>Run as a superuser: objects a superuser owns, and the app role's planted rights.</summary>
    public static string PlantedAsAdmin(string appRole) => $"""
        create view leaky_view as select * from clean_rows;                                    -- DT040: superuser owner
        create view invoker_view with (security_invoker = on) as select * from clean_rows;     -- security_invoker: fine
        create function peek_all() returns bigint language sql security definer as $$ select count(*) from public.clean_rows $$;   -- DT042
        alter table owned_rows owner to "{appRole}";                                           -- DT012
        grant truncate on trunc_rows to "{appRole}";                                           -- DT013
        grant references on ref_rows to "{appRole}";                                           -- DT014
        grant create on schema public to "{appRole}";                                          -- DT082
        """;

    /// <summary>What the audit must report for the planted database, code and object, in report order.</summary>
    /// <remarks>DT080 and DT081 are PostgreSQL's defaults (TEMPORARY and EXECUTE granted to PUBLIC), not planted.</remarks>
    public static (string Code, string Object)[] PlantedFindings(string appRole) =>
    [
        ("DT001", "public.no_rls"),
        ("DT002", "public.not_forced"),
        ("DT003", "public.no_policy"),
        ("DT004", "open_read ON public.open_policy"),
        ("DT005", "positive_ids ON public.public_policy"),
        ("DT012", "public.owned_rows"),
        ("DT013", "public.trunc_rows"),
        ("DT014", "public.ref_rows"),
        ("DT020", "public.no_index"),
        ("DT021", "no_index_pkey ON public.no_index"),
        ("DT021", "parents_id_key ON public.parents"),
        ("DT030", "children_parent_fk ON public.children"),
        ("DT040", "public.leaky_view"),
        ("DT040", "public.owner_view"),
        ("DT041", "public.rows_snapshot"),
        ("DT042", "public.owner_peek()"),
        ("DT042", "public.peek_all()"),
        ("DT050", "public.events_acme"),
        ("DT080", appRole),
        ("DT081", appRole),
        ("DT082", "public"),
    ];

    /// <summary>
    /// Run as a superuser on the clean database: what PolicyInstaller.Harden() does, so that the app login may neither
    /// create temporary objects (the test kit grants it TEMPORARY) nor run the SQL-executing built-ins.
    /// </summary>
    public static string HardenAsAdmin(string database, string appRole) => $"""
        revoke temporary on database "{database}" from public;
        revoke temporary on database "{database}" from "{appRole}";
        revoke execute on function pg_catalog.query_to_xml(text, boolean, boolean, text), pg_catalog.query_to_xmlschema(text, boolean, boolean, text),
            pg_catalog.query_to_xml_and_xmlschema(text, boolean, boolean, text), pg_catalog.cursor_to_xml(refcursor, integer, boolean, boolean, text),
            pg_catalog.cursor_to_xmlschema(refcursor, boolean, boolean, text), pg_catalog.ts_stat(text), pg_catalog.ts_stat(text, text),
            pg_catalog.ts_rewrite(tsquery, text) from public;
        """;

    /// <summary>Run as the owner: a schema that follows every recommendation.</summary>
    public static string Clean => string.Join(Environment.NewLine,
        Protected("customers"),
        Protected("orders", ", customer_id int not null"),
        "alter table orders add foreign key (tenant, customer_id) references customers (tenant, id);",
        "create view customer_ids with (security_invoker = on) as select tenant, id from customers;",
        "create view customer_count as select count(*) from customers;   -- owner-owned over a FORCEd table: filtered",
        "create table countries (code text primary key, name text not null);   -- no tenant column: not tenant data");
}
