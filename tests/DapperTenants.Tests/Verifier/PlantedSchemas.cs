using DapperTenants.Testing;

namespace DapperTenants.Tests.Verifier;

/// <summary>
/// One database with a table per planted defect, each mapped by one [Rls] type, plus a correct table; the
/// installer sets up the tables that are then broken by hand.
/// </summary>
internal static class PlantedSchemas
{
    /// <summary>Every planted table, each with rows of two real tenants so that leaks have something to show.</summary>
    public static readonly string[] Tables = ["correct", "no_force", "widened", "no_default", "no_policy", "plain", "wrong_column", "unseedable", "no_nullif"];

    public static readonly Type[] Types =
        [typeof(Correct), typeof(NoForce), typeof(Widened), typeof(NoDefault), typeof(NoPolicy), typeof(Plain), typeof(WrongColumn), typeof(Unseedable), typeof(NoNullif)];

    public static async Task CreateAsync(TestDatabase database)
    {
        await database.ExecuteAsOwnerAsync("""
            create table customers (id int primary key);
            create table correct (id int primary key, tenant text not null, total numeric(10,2) not null, note text);
            create table no_force (id int primary key, tenant text not null, total numeric not null);
            create table widened (id int primary key, tenant text not null, total numeric not null);
            create table no_default (id int primary key, tenant text not null, total numeric not null);
            create table unseedable (id int primary key, tenant text not null, customer_id int not null references customers (id));
            """);
        await using (var owner = database.CreateOwnerDataSource())
        {
            await new PolicyInstaller(owner).Add<Correct>().Add<NoForce>().Add<Widened>().Add<NoDefault>().Add<Unseedable>().ApplyAsync();
        }

        await database.ExecuteAsOwnerAsync("""
            alter table no_force no force row level security;
            create policy wide on widened using (true);
            alter table no_default alter column tenant drop default;

            create table no_policy (id int primary key, tenant text not null default nullif(current_setting('dapper_tenants.tenant', true), ''), total numeric not null);
            alter table no_policy enable row level security;
            alter table no_policy force row level security;

            create table plain (id int primary key, tenant text not null, total numeric not null);

            create table wrong_column (id int primary key, tenant text not null default nullif(current_setting('dapper_tenants.tenant', true), ''), customer text, total numeric not null);
            alter table wrong_column enable row level security;
            alter table wrong_column force row level security;
            create policy isolation on wrong_column using (customer = (select nullif(current_setting('dapper_tenants.tenant', true), '')));

            create table no_nullif (id int primary key, tenant text not null default nullif(current_setting('dapper_tenants.tenant', true), ''), total numeric not null);
            alter table no_nullif enable row level security;
            alter table no_nullif force row level security;
            create policy isolation on no_nullif using (tenant = current_setting('dapper_tenants.tenant', true));
            """);
        await database.ExecuteAsAdminAsync("""
            insert into correct values (1, 'acme', 1, null), (2, 'globex', 2, 'g');
            insert into no_force values (1, 'acme', 1), (2, 'globex', 2);
            insert into widened values (1, 'acme', 1), (2, 'globex', 2);
            insert into no_default values (1, 'acme', 1), (2, 'globex', 2);
            insert into no_policy values (1, 'acme', 1), (2, 'globex', 2);
            insert into plain values (1, 'acme', 1), (2, 'globex', 2);
            insert into wrong_column values (1, 'acme', 'acme', 1), (2, 'globex', 'globex', 2);
            insert into customers values (1), (2);
            insert into unseedable values (1, 'acme', 1), (2, 'globex', 2);
            insert into no_nullif values (1, 'acme', 1), (2, 'globex', 2);
            """);
    }

    [Rls("correct")]
    public sealed class Correct
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }

    [Rls("no_force")]
    public sealed class NoForce
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }

    [Rls("widened")]
    public sealed class Widened
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }

    [Rls("no_default")]
    public sealed class NoDefault
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }

    [Rls("no_policy")]
    public sealed class NoPolicy
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }

    [Rls("plain")]
    public sealed class Plain
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }

    [Rls("wrong_column")]
    public sealed class WrongColumn
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }

    [Rls("unseedable")]
    public sealed class Unseedable
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }

    [Rls("no_nullif")]
    public sealed class NoNullif
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }
}
