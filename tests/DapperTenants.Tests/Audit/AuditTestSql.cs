namespace DapperTenants.Tests.Audit;

/// <summary>A protected table the audit has nothing to say about.</summary>
internal static class AuditTestSql
{
    public static string Protected(string table) => $"""
        create table {table} (tenant text not null, id int not null, primary key (tenant, id));
        alter table {table} enable row level security;
        alter table {table} force row level security;
        create policy tenant_isolation on {table}
            using (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')))
            with check (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')));
        """;
}
