using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.TestKit;

/// <summary>
/// The test kit's policy assertions, on a table protected by the library's own policy (each assertion holds) and on
/// deliberately broken tables (each assertion fails, with its exact message).
/// </summary>
[Category(Categories.Database)]
[TestFixture(SyncOrAsync.Sync)]
[TestFixture(SyncOrAsync.Async)]
public class PolicyTransactionTests(SyncOrAsync mode)
{
    private TestDatabase _database = null!;
    private NpgsqlDataSource _app = null!;

    private bool Async => mode == SyncOrAsync.Async;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _database = await TestServer.CreateDatabaseAsync("testkit");
        await _database.ExecuteAsOwnerAsync("""
            create table kit_orders (id int primary key, tenant text not null, total numeric not null);

            -- Broken on purpose: no row-level security at all.
            create table open_orders (id int primary key, tenant text not null, total numeric not null);

            -- Broken on purpose: reads are filtered, writes are not checked.
            create table unchecked_orders (id int primary key, tenant text not null, total numeric not null);
            alter table unchecked_orders enable row level security;
            alter table unchecked_orders force row level security;
            create policy isolation on unchecked_orders
                using (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')::text)) with check (true);

            -- Broken on purpose: fails open, every row is visible when no tenant is set.
            create table leaky_orders (id int primary key, tenant text not null, total numeric not null);
            alter table leaky_orders enable row level security;
            alter table leaky_orders force row level security;
            create policy isolation on leaky_orders
                using (tenant = coalesce(nullif(current_setting('dapper_tenants.tenant', true), ''), tenant));

            -- Closed but brittle: the empty setting is not an integer, so every query fails without a tenant.
            create table numbered_orders (id int primary key, tenant int not null, total numeric not null);
            alter table numbered_orders enable row level security;
            alter table numbered_orders force row level security;
            create policy isolation on numbered_orders using (tenant = current_setting('dapper_tenants.tenant', true)::int);

            -- A correct policy on another setting name.
            create table app_orders (id int primary key, tenant text not null, total numeric not null);
            alter table app_orders enable row level security;
            alter table app_orders force row level security;
            create policy isolation on app_orders using (tenant = (select nullif(current_setting('app.tenant', true), '')::text));
            """);
        await using (var owner = _database.CreateOwnerDataSource())
        {
            await new PolicyInstaller(owner).Add<KitOrder>().ApplyAsync();
        }

        await _database.ExecuteAsAdminAsync("""
            insert into kit_orders values (1, 'acme', 10), (2, 'globex', 20);
            insert into open_orders values (1, 'acme', 10), (2, 'globex', 20);
            insert into unchecked_orders values (1, 'acme', 10), (2, 'globex', 20);
            insert into leaky_orders values (1, 'acme', 10), (2, 'globex', 20);
            insert into numbered_orders values (1, 1, 10), (2, 2, 20);
            insert into app_orders values (1, 'acme', 10), (2, 'globex', 20);
            """);
        _app = _database.CreateAppDataSource();
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await _app.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Test]
    public async Task A_tenant_sees_only_its_rows_of_a_table_the_library_protects()
    {
        await using var policy = await BeginAsync();
        await ActAsAsync(policy, "acme");
        policy.Tenant.ShouldBe("acme");
        await SeesAsync(policy, 1, "select * from kit_orders");
        await SeesAsync(policy, 1, "select * from kit_orders where id = $1", [1]);
        await SeesAsync(policy, 0, "select * from kit_orders where id = $1", [2]);
        await ActAsAsync(policy, "globex");
        await SeesAsync(policy, 1, "select * from kit_orders where tenant = 'globex'");
    }

    [Test]
    public async Task A_write_of_another_tenants_row_is_rejected_with_42501()
    {
        await using var policy = await BeginAsync();
        await ActAsAsync(policy, "acme");
        await WriteRejectedAsync(policy, "insert into kit_orders (id, tenant, total) values (3, 'globex', 1)");
        await WriteRejectedAsync(policy, "update kit_orders set tenant = 'globex' where id = 1");
        await WriteRejectedAsync(policy, "insert into kit_orders (id, tenant, total) values (1, 'globex', 1) on conflict (id) do update set total = 0");
    }

    [Test]
    public async Task Update_and_delete_of_another_tenants_rows_are_filtered()
    {
        await using var policy = await BeginAsync();
        await ActAsAsync(policy, "acme");
        await FilteredAsync(policy, "update kit_orders set total = 0 where id = 2");
        await FilteredAsync(policy, "delete from kit_orders where tenant = $1", ["globex"]);
    }

    [Test]
    public async Task A_tenants_own_write_affects_its_rows_and_an_assertion_leaves_no_trace()
    {
        await using var policy = await BeginAsync();
        await ActAsAsync(policy, "acme");
        await AffectsAsync(policy, 1, "update kit_orders set total = 0");
        await AffectsAsync(policy, 1, "insert into kit_orders (id, total) values (3, 1)");
        await SeesAsync(policy, 1, "select * from kit_orders where total = 10");
        await SeesAsync(policy, 0, "select * from kit_orders where id = 3");
    }

    [Test]
    public async Task Without_a_tenant_the_protected_table_shows_nothing_and_the_tenant_is_kept()
    {
        await using var policy = await BeginAsync();
        policy.Tenant.ShouldBeNull();
        await SeesNothingWithoutTenantAsync(policy, "select * from kit_orders");
        await ActAsAsync(policy, "acme");
        await SeesNothingWithoutTenantAsync(policy, "select * from kit_orders");
        policy.Tenant.ShouldBe("acme");
        await SeesAsync(policy, 1, "select * from kit_orders");
    }

    [Test]
    public async Task Acting_as_no_tenant_clears_the_context_so_reads_are_empty_and_writes_rejected()
    {
        await using var policy = await BeginAsync();
        await ActAsAsync(policy, "acme");
        await ActAsNoTenantAsync(policy);
        policy.Tenant.ShouldBeNull();
        await SeesAsync(policy, 0, "select * from kit_orders");
        await WriteRejectedAsync(policy, "insert into kit_orders (id, tenant, total) values (3, 'acme', 1)");
    }

    [Test]
    public async Task Seeded_rows_carry_the_tenant_and_are_rolled_back_on_dispose()
    {
        await using (var policy = await BeginAsync())
        {
            await ActAsAsync(policy, "acme");
            (await ExecuteAsync(policy, "insert into kit_orders (id, total) values ($1, $2)", [3, 5m])).ShouldBe(1);
            await SeesAsync(policy, 2, "select * from kit_orders");
            await SeesAsync(policy, 1, "select * from kit_orders where id = 3 and tenant = 'acme'");
        }

        await using var after = await BeginAsync();
        await ActAsAsync(after, "acme");
        await SeesAsync(after, 1, "select * from kit_orders");
    }

    [Test]
    public async Task A_seeding_statement_that_fails_throws_its_PostgreSQL_error_and_the_transaction_stays_usable()
    {
        await using var policy = await BeginAsync();
        await ActAsAsync(policy, "acme");
        var error = await Should.ThrowAsync<PostgresException>(() => ExecuteAsync(policy, "insert into kit_orders (id, total) values (1, 1)"));
        error.SqlState.ShouldBe(PostgresErrorCodes.UniqueViolation);
        await SeesAsync(policy, 1, "select * from kit_orders");
    }

    [Test]
    public async Task The_setting_name_comes_from_the_options()
    {
        await using var custom = await BeginAsync(new TenantOptions { SettingName = "app.tenant" });
        custom.SettingName.ShouldBe("app.tenant");
        await ActAsAsync(custom, "acme");
        await SeesAsync(custom, 1, "select * from app_orders");

        await using var standard = await BeginAsync();
        standard.SettingName.ShouldBe("dapper_tenants.tenant");
        await ActAsAsync(standard, "acme");
        await SeesAsync(standard, 0, "select * from app_orders");
    }

    [Test]
    public async Task A_superuser_login_is_refused_because_policies_do_not_apply_to_it()
    {
        await using var admin = NpgsqlDataSource.Create(_database.AdminConnectionString);
        var login = new NpgsqlConnectionStringBuilder(_database.AdminConnectionString).Username;
        var ex = await Should.ThrowAsync<PolicyAssertionException>(() => BeginAsync(source: admin));
        ex.Message.ShouldBe($"The login '{login}' is a superuser: row-level security never applies to it, so policy assertions would prove nothing. "
            + "Begin the policy transaction on the application's login (NOSUPERUSER NOBYPASSRLS, not the owner of the tables).");
    }

    [Test]
    public async Task AssertSees_fails_when_another_tenants_rows_are_visible()
    {
        await using var policy = await BeginAsync();
        await ActAsAsync(policy, "acme");
        var ex = await Should.ThrowAsync<PolicyAssertionException>(() => SeesAsync(policy, 1, "select * from open_orders"));
        ex.Message.ShouldBe("Expected the query to return 1 row as tenant 'acme', but it returned 2 rows. Query: select * from open_orders "
            + "If the extra rows belong to other tenants, the table's row-level security is off, not forced, or widened by another policy.");
    }

    [Test]
    public async Task AssertSees_fails_when_fewer_rows_are_visible()
    {
        await using var policy = await BeginAsync();
        await ActAsAsync(policy, "acme");
        var ex = await Should.ThrowAsync<PolicyAssertionException>(() => SeesAsync(policy, 2, "select * from kit_orders"));
        ex.Message.ShouldBe("Expected the query to return 2 rows as tenant 'acme', but it returned 1 row. Query: select * from kit_orders "
            + "Check the rows the test seeded, and that the policy compares the tenant column with the setting 'dapper_tenants.tenant'.");
    }

    [Test]
    public async Task AssertSees_fails_with_the_error_of_a_failing_query_and_the_transaction_stays_usable()
    {
        await using var policy = await BeginAsync();
        var ex = await Should.ThrowAsync<PolicyAssertionException>(() => SeesAsync(policy, 0, "select * from no_such_table"));
        ex.Message.ShouldBe("Expected the query to return 0 rows with no tenant, but it failed with 42P01: relation \"no_such_table\" does not exist. "
            + "Query: select * from no_such_table");
        ex.InnerException.ShouldBeOfType<PostgresException>().SqlState.ShouldBe(PostgresErrorCodes.UndefinedTable);
        await SeesAsync(policy, 0, "select * from kit_orders");
    }

    [Test]
    public async Task AssertWriteRejected_fails_when_the_policy_does_not_check_writes()
    {
        await using var policy = await BeginAsync();
        await ActAsAsync(policy, "acme");
        var ex = await Should.ThrowAsync<PolicyAssertionException>(
            () => WriteRejectedAsync(policy, "insert into unchecked_orders (id, tenant, total) values (3, 'globex', 1)"));
        ex.Message.ShouldBe("Expected row-level security to reject the write as tenant 'acme' with SQL state 42501, but it succeeded and affected 1 row. "
            + "Statement: insert into unchecked_orders (id, tenant, total) values (3, 'globex', 1) Check that the table has row-level security enabled "
            + "and forced, and that every policy's WITH CHECK compares the tenant column with the setting 'dapper_tenants.tenant'.");
        await Should.ThrowAsync<PolicyAssertionException>(() => WriteRejectedAsync(policy, "update open_orders set tenant = 'acme'"));
    }

    [Test]
    public async Task AssertWriteRejected_fails_when_the_write_fails_for_another_reason()
    {
        await using var policy = await BeginAsync();
        await ActAsAsync(policy, "acme");
        var ex = await Should.ThrowAsync<PolicyAssertionException>(
            () => WriteRejectedAsync(policy, "insert into kit_orders (id, tenant, total) values (3, 'acme', null)"));
        ex.Message.ShouldBe("Expected row-level security to reject the write as tenant 'acme' with SQL state 42501, but it failed with 23502: "
            + "null value in column \"total\" of relation \"kit_orders\" violates not-null constraint. "
            + "Statement: insert into kit_orders (id, tenant, total) values (3, 'acme', null) "
            + "Make the statement valid apart from its tenant, so that only the policy can reject it.");
        ex.InnerException.ShouldBeOfType<PostgresException>().SqlState.ShouldBe(PostgresErrorCodes.NotNullViolation);
    }

    [Test]
    public async Task AssertFiltered_fails_when_another_tenants_row_is_changed()
    {
        await using var policy = await BeginAsync();
        await ActAsAsync(policy, "acme");
        var ex = await Should.ThrowAsync<PolicyAssertionException>(() => FilteredAsync(policy, "delete from open_orders where id = 2"));
        ex.Message.ShouldBe("Expected the statement to affect no row as tenant 'acme', but it affected 1 row. Statement: delete from open_orders where id = 2 "
            + "Check that the table has row-level security enabled and forced, and that every policy's USING clause compares the tenant column "
            + "with the setting 'dapper_tenants.tenant'.");
        await SeesAsync(policy, 2, "select * from open_orders");
    }

    [Test]
    public async Task AssertFiltered_fails_when_the_statement_fails()
    {
        await using var policy = await BeginAsync();
        await ActAsAsync(policy, "acme");
        var ex = await Should.ThrowAsync<PolicyAssertionException>(() => FilteredAsync(policy, "update kit_orders set tenant = 'globex' where id = 1"));
        ex.Message.ShouldBe("Expected the statement to affect no row as tenant 'acme', but it failed with 42501: "
            + "new row violates row-level security policy for table \"kit_orders\". Statement: update kit_orders set tenant = 'globex' where id = 1");
    }

    [Test]
    public async Task AssertAffects_fails_when_the_policy_hides_the_row()
    {
        await using var policy = await BeginAsync();
        await ActAsAsync(policy, "acme");
        var ex = await Should.ThrowAsync<PolicyAssertionException>(() => AffectsAsync(policy, 1, "update kit_orders set total = 0 where id = 2"));
        ex.Message.ShouldBe("Expected the statement to affect 1 row as tenant 'acme', but it affected 0 rows. Statement: update kit_orders set total = 0 where id = 2");
        var failed = await Should.ThrowAsync<PolicyAssertionException>(() => AffectsAsync(policy, 1, "insert into kit_orders (id, tenant, total) values (3, 'globex', 1)"));
        failed.Message.ShouldBe("Expected the statement to affect 1 row as tenant 'acme', but it failed with 42501: "
            + "new row violates row-level security policy for table \"kit_orders\". Statement: insert into kit_orders (id, tenant, total) values (3, 'globex', 1)");
    }

    [Test]
    public async Task AssertSeesNothingWithoutTenant_fails_on_a_policy_that_fails_open()
    {
        await using var policy = await BeginAsync();
        await ActAsAsync(policy, "acme");
        await SeesAsync(policy, 1, "select * from leaky_orders");
        var ex = await Should.ThrowAsync<PolicyAssertionException>(() => SeesNothingWithoutTenantAsync(policy, "select * from leaky_orders"));
        ex.Message.ShouldBe("Expected the query to return no row with no tenant set, but it returned 2 rows. Query: select * from leaky_orders "
            + "An unset tenant must match no row: check that the table has row-level security enabled and forced, and that its policy compares "
            + "the tenant column with NULLIF(current_setting('dapper_tenants.tenant', true), '').");
    }

    [Test]
    public async Task AssertSeesNothingWithoutTenant_fails_on_a_policy_that_errors_without_a_tenant()
    {
        await using var policy = await BeginAsync();
        await ActAsAsync(policy, "1");
        await SeesAsync(policy, 1, "select * from numbered_orders");
        var ex = await Should.ThrowAsync<PolicyAssertionException>(() => SeesNothingWithoutTenantAsync(policy, "select * from numbered_orders"));
        ex.Message.ShouldBe("Expected the query to return no row with no tenant set, but it failed with 22P02: invalid input syntax for type integer: \"\". "
            + "Query: select * from numbered_orders A policy must match nothing, without an error, when the tenant is unset: "
            + "compare the tenant column with NULLIF(current_setting('dapper_tenants.tenant', true), '').");
        await SeesAsync(policy, 1, "select * from numbered_orders");
    }

    [Test]
    public async Task Assertions_after_dispose_throw_ObjectDisposedException()
    {
        var policy = await BeginAsync();
        await policy.DisposeAsync();
        await Should.ThrowAsync<ObjectDisposedException>(() => SeesAsync(policy, 0, "select 1"));
        await Should.ThrowAsync<ObjectDisposedException>(() => ActAsAsync(policy, "acme"));
    }

    private Task<PolicyTransaction> BeginAsync(TenantOptions? options = null, NpgsqlDataSource? source = null) => Async
        ? PolicyTransaction.BeginAsync(source ?? _app, options)
        : Run(() => PolicyTransaction.Begin(source ?? _app, options));

    private Task ActAsAsync(PolicyTransaction policy, string tenant) =>
        Async ? policy.ActAsAsync(tenant) : Run(() => policy.ActAs(tenant));

    private Task ActAsNoTenantAsync(PolicyTransaction policy) =>
        Async ? policy.ActAsNoTenantAsync() : Run(policy.ActAsNoTenant);

    private Task<int> ExecuteAsync(PolicyTransaction policy, string sql, IReadOnlyList<object?>? parameters = null) =>
        Async ? policy.ExecuteAsync(sql, parameters) : Run(() => policy.Execute(sql, parameters));

    private Task SeesAsync(PolicyTransaction policy, int rows, string sql, IReadOnlyList<object?>? parameters = null) =>
        Async ? policy.AssertSeesAsync(rows, sql, parameters) : Run(() => policy.AssertSees(rows, sql, parameters));

    private Task SeesNothingWithoutTenantAsync(PolicyTransaction policy, string sql) =>
        Async ? policy.AssertSeesNothingWithoutTenantAsync(sql) : Run(() => policy.AssertSeesNothingWithoutTenant(sql));

    private Task WriteRejectedAsync(PolicyTransaction policy, string sql) =>
        Async ? policy.AssertWriteRejectedAsync(sql) : Run(() => policy.AssertWriteRejected(sql));

    private Task FilteredAsync(PolicyTransaction policy, string sql, IReadOnlyList<object?>? parameters = null) =>
        Async ? policy.AssertFilteredAsync(sql, parameters) : Run(() => policy.AssertFiltered(sql, parameters));

    private Task AffectsAsync(PolicyTransaction policy, int rows, string sql) =>
        Async ? policy.AssertAffectsAsync(rows, sql) : Run(() => policy.AssertAffects(rows, sql));

    // The synchronous API, with its exceptions carried by the task as the async API's are.
    private static Task Run(Action action)
    {
        try
        {
            action();
            return Task.CompletedTask;
        }
        catch (Exception ex)
        {
            return Task.FromException(ex);
        }
    }

    private static Task<T> Run<T>(Func<T> function)
    {
        try
        {
            return Task.FromResult(function());
        }
        catch (Exception ex)
        {
            return Task.FromException<T>(ex);
        }
    }

    [Rls("kit_orders")]
    private sealed class KitOrder
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";

        public decimal Total { get; set; }
    }
}
