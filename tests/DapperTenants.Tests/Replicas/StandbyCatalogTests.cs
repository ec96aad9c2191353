using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Replicas;

/// <summary>The first open's catalog read and login check on a standby, and the installer's refusal of one.</summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync)]
[TestFixture(SyncOrAsync.Async)]
public class StandbyCatalogTests(SyncOrAsync mode)
{
    private const string ForeignInsert = "insert into orders (id, tenant) values (1, 'globex')";

    private bool Async => mode == SyncOrAsync.Async;

    private static OrdersDatabase Db => ReplicaSetup.Db;

    private async Task<TenantConnection> OpenAsync(TenantDataSource tenants, string tenant) =>
        Async ? await tenants.OpenAsync(tenant) : tenants.Open(tenant);

    private async Task<TenantConnection> OpenReadOnlyAsync(TenantDataSource tenants, string tenant) =>
        Async ? await tenants.OpenReadOnlyAsync(tenant) : tenants.OpenReadOnly(tenant);

    [Test]
    public async Task The_first_open_of_a_standby_only_data_source_learns_the_protected_tables_there()
    {
        await using var tenants = TenantDataSource.Create(ReplicaSetup.StandbyOnly());
        await using var connection = await OpenAsync(tenants, OrdersDatabase.Acme);
        connection.ExecuteScalar<bool>("select pg_is_in_recovery()").ShouldBeTrue();

        // The guard refuses another tenant's value only for a table the catalog read reported as protected.
        var error = Async
            ? await Should.ThrowAsync<TenantGuardException>(() => connection.ExecuteAsync(ForeignInsert))
            : Should.Throw<TenantGuardException>(() => connection.Execute(ForeignInsert));
        error.Message.ShouldStartWith("INSERT into public.orders writes tenant 'globex', but this connection belongs to tenant 'acme'.");
    }

    [Test]
    public async Task A_superuser_login_is_refused_on_a_standby()
    {
        await using var tenants = TenantDataSource.Create(ReplicaSetup.StandbyOnly(Db.Database.AdminConnectionString));
        var error = Async
            ? await Should.ThrowAsync<UnsafeRoleException>(async () => await tenants.OpenAsync(OrdersDatabase.Acme))
            : Should.Throw<UnsafeRoleException>(() => tenants.Open(OrdersDatabase.Acme));
        error.Message.ShouldBe(
            "The tenant data source logs in as 'postgres', which is a superuser: PostgreSQL skips Row-Level Security for it, "
            + "so every tenant would see and write every other tenant's rows. Connect as a role created with NOSUPERUSER NOBYPASSRLS "
            + "that does not own the tables, or set TenantOptions.AllowPrivilegedRole = true if you accept that the policies do not apply.");
    }

    [Test]
    public async Task A_BYPASSRLS_login_is_refused_by_the_first_read_only_open_of_a_multi_host_data_source()
    {
        var role = Db.Database.AppRole + "_bypass_" + mode.ToString().ToLowerInvariant();
        await Db.Database.ExecuteAsAdminAsync(
            $"""create role "{role}" login password '{Db.Database.Password}' bypassrls; grant connect on database "{Db.Database.Name}" to "{role}"; grant select on orders to "{role}";""");
        try
        {
            await ReplicaSetup.Standby.WaitForReplayAsync();
            var builder = new NpgsqlConnectionStringBuilder(ReplicaSetup.MultiHost()) { Username = role };
            await using var tenants = TenantDataSource.Create(builder.ConnectionString);

            // No Open before it: the read-only side learns the catalog on its own, on the standby.
            var error = Async
                ? await Should.ThrowAsync<UnsafeRoleException>(async () => await tenants.OpenReadOnlyAsync(OrdersDatabase.Acme))
                : Should.Throw<UnsafeRoleException>(() => tenants.OpenReadOnly(OrdersDatabase.Acme));
            error.Message.ShouldStartWith($"The tenant data source logs in as '{role}', which is a role with BYPASSRLS: PostgreSQL skips Row-Level Security for it");
            (Async
                ? await Should.ThrowAsync<UnsafeRoleException>(async () => await tenants.OpenAsync(OrdersDatabase.Acme))
                : Should.Throw<UnsafeRoleException>(() => tenants.Open(OrdersDatabase.Acme))).Message.ShouldBe(error.Message);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await Db.Database.ExecuteAsAdminAsync($"""drop owned by "{role}"; drop role "{role}";""");
        }
    }

    [Test]
    public async Task RefreshCatalog_makes_the_read_only_side_read_the_catalog_again()
    {
        await using var tenants = TenantDataSource.Create(ReplicaSetup.MultiHost());
        await Db.Database.ExecuteAsOwnerAsync("create table if not exists notes (id int primary key, tenant text not null)");
        await Db.Database.ExecuteAsOwnerAsync("alter table notes disable row level security; drop policy if exists dapper_tenants_isolation on notes");
        await ReplicaSetup.Standby.WaitForReplayAsync();
        await using (var before = await OpenReadOnlyAsync(tenants, OrdersDatabase.Acme))
        {
            // Unprotected when learned: the guard passes the write on, and the standby refuses it as read-only.
            (await Should.ThrowAsync<PostgresException>(() => before.ExecuteAsync("insert into notes values (1, 'globex')"))).SqlState
                .ShouldBe(PostgresErrorCodes.ReadOnlySqlTransaction);
        }

        await Db.Database.ExecuteAsOwnerAsync("""
            alter table notes enable row level security;
            create policy dapper_tenants_isolation on notes
                using (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')::text))
                with check (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')::text));
            """);
        await ReplicaSetup.Standby.WaitForReplayAsync();
        tenants.RefreshCatalog();
        await using var after = await OpenReadOnlyAsync(tenants, OrdersDatabase.Acme);
        (await Should.ThrowAsync<TenantGuardException>(() => after.ExecuteAsync("insert into notes values (1, 'globex')"))).Message
            .ShouldStartWith("INSERT into public.notes writes tenant 'globex'");
    }

    [Test]
    public async Task The_installer_refuses_a_standby_and_says_to_connect_to_the_primary()
    {
        await using var owner = NpgsqlDataSource.Create(ReplicaSetup.StandbyOnly(Db.Database.OwnerConnectionString));
        var installer = new PolicyInstaller(owner).Add<ReplicaOrder>();
        var expected =
            $"The policy installer is connected to 127.0.0.1:{ReplicaSetup.Standby.Port}, a standby server (pg_is_in_recovery() is true). "
            + "A standby is read-only and receives the primary's policies by replication, so policies are planned and applied on the "
            + "primary only. Connect the installer's owner data source to the primary; with several hosts in its connection string, "
            + "add 'Target Session Attributes=primary'.";
        if (Async)
        {
            (await Should.ThrowAsync<InvalidOperationException>(() => installer.PlanAsync())).Message.ShouldBe(expected);
            (await Should.ThrowAsync<InvalidOperationException>(() => installer.ApplyAsync())).Message.ShouldBe(expected);
        }
        else
        {
            Should.Throw<InvalidOperationException>(() => installer.Plan()).Message.ShouldBe(expected);
            Should.Throw<InvalidOperationException>(() => installer.Apply()).Message.ShouldBe(expected);
        }
    }

    [Test]
    public async Task The_installer_plans_on_the_primary_of_a_multi_host_data_source_with_Target_Session_Attributes_primary()
    {
        // The fix the refusal names: list both servers, ask for the primary.
        var multiHost = new NpgsqlConnectionStringBuilder(ReplicaSetup.Standby.MultiHost(Db.Database.OwnerConnectionString))
        {
            TargetSessionAttributes = "primary",
        };
        await using var owner = NpgsqlDataSource.Create(multiHost.ConnectionString);
        var installer = new PolicyInstaller(owner).Add<ReplicaOrder>();
        var plan = Async ? await installer.PlanAsync() : installer.Plan();
        plan.ShouldNotBeNull();
    }

    [Rls("orders")]
    private sealed class ReplicaOrder
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }
}
