using DapperTenants.Testing;

namespace DapperTenants.Tests.Guard;

/// <summary>The protected tables the guard's database tests write to, with hand-written policies and seed rows.</summary>
internal static class OracleSchema
{
    public static async Task CreateAsync(TestDatabase database)
    {
        await database.ExecuteAsOwnerAsync($"""
            create table orders (id int primary key, tenant text not null default nullif(current_setting('dapper_tenants.tenant', true), ''), total numeric);
            create table "Invoices" (tenant_id uuid not null, "Id" int primary key, note text);
            create table accounts (id int primary key, name text, tenant int not null);
            create schema app;
            create table app.notes (id bigint primary key, body text, tenant varchar(20) not null);
            grant usage on schema app to "{database.AppRole}";
            grant select, insert, update, delete on app.notes to "{database.AppRole}";
            create table plain (id int primary key, tenant text);
            alter table plain enable row level security;
            create policy open_to_all on plain using (true);
            create sequence guard_probe;
            {Policy("orders", "tenant", "text")}
            {Policy("\"Invoices\"", "tenant_id", "uuid")}
            {Policy("accounts", "tenant", "integer")}
            {Policy("app.notes", "tenant", "text")}
            """);
        await database.ExecuteAsAdminAsync($"""
            insert into orders select g, 'acme', g from generate_series(1, {OracleCorpus.SeedRows}) g;
            insert into orders values (100, 'globex', 1);
            insert into app.notes select g, 'n', 'acme' from generate_series(1, {OracleCorpus.SeedRows}) g;
            insert into "Invoices" select '{OracleCorpus.AcmeUuid}', g, 'n' from generate_series(1, {OracleCorpus.SeedRows}) g;
            insert into accounts select g, 'n', 42 from generate_series(1, {OracleCorpus.SeedRows}) g;
            insert into accounts values (100, 'n', 7);
            """);
    }

    private static string Policy(string table, string column, string type) => $"""
        alter table {table} enable row level security;
        alter table {table} force row level security;
        create policy dapper_tenants_isolation on {table}
            using ({column} = (select nullif(current_setting('dapper_tenants.tenant', true), '')::{type}))
            with check ({column} = (select nullif(current_setting('dapper_tenants.tenant', true), '')::{type}));
        """;
}
