using System.Data.Common;
using DapperTenants.Guard;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Guard;

/// <summary>
/// The application corpus on PostgreSQL: every command runs through a guarded <see cref="TenantConnection"/> as the
/// application login, which shows both that the corpus is legitimate SQL and that the guard lets it through.
/// </summary>
[Category(Categories.Database)]
public sealed class GuardCorpusDatabaseTests
{
    private TestDatabase _database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _database = await TestServer.CreateDatabaseAsync("guard_corpus");
        var policies = string.Concat(ApplicationCorpus.Protected.Select(table => $"""
            alter table {table} enable row level security;
            alter table {table} force row level security;
            create policy dapper_tenants_isolation on {table}
                using (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')::text))
                with check (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')::text));

            """));
        await _database.ExecuteAsOwnerAsync(ApplicationCorpus.Schema + policies);
        await _database.ExecuteAsAdminAsync($$"""
            create schema work authorization "{{_database.AppRole}}";
            grant execute on function pg_catalog.pg_sleep(double precision) to public;
            insert into countries values ('NL', 'Netherlands'), ('FR', 'France');
            insert into products select g, 'SKU-' || g, 'Product ' || g, g * 2.5 from generate_series(1, 5) g;
            insert into customers (id, tenant, name, email, tags, metadata)
                select g, case when g <= 10 then 'acme' else 'globex' end, 'Customer ' || g, 'c' || g || '@example.com',
                       case when g % 3 = 0 then '{vip}'::text[] else '{}' end, jsonb_build_object('plan', 'basic', 'trial', g % 2 = 0)
                from generate_series(1, 20) g;
            insert into orders (id, tenant, customer_id, status, total, created_at)
                select g, case when g <= 30 then 'acme' else 'globex' end, case when g <= 30 then 1 + g % 10 else 11 + g % 10 end,
                       (array['new', 'paid', 'shipped'])[1 + g % 3], g * 7.5, now() - g * interval '3 days'
                from generate_series(1, 60) g;
            insert into order_lines (tenant, order_id, product_id, quantity, unit_price)
                select o.tenant, o.id, 1 + o.id % 5, 1 + o.id % 3, 2.5 from orders o;
            insert into invoices (id, tenant, order_id, number, amount, due_at)
                values ('{{ApplicationCorpus.AcmeInvoice}}', 'acme', 1, 'INV-1', 10, current_date - 1),
                       ('b0000000-0000-4000-8000-000000000002', 'globex', 31, 'INV-1', 20, current_date + 10);
            insert into payments (tenant, invoice_id, amount, method) values ('acme', '{{ApplicationCorpus.AcmeInvoice}}', 10, 'card');
            insert into events (tenant, kind, payload)
                values ('acme', 'order.created', '{"items": [{"sku": "SKU-1", "quantity": 2}], "customer": {"name": "Ada"} }');
            insert into documents (id, tenant, title, body) values (1, 'acme', 'Invoice rules', 'How an invoice is paid'), (2, 'globex', 'Other', 'text');
            insert into jobs (tenant, kind) values ('acme', 'report'), ('globex', 'report');
            """);
        await using var app = _database.CreateAppDataSource();
        await using var command = app.CreateCommand("""
            create table work.cache (key text primary key, value jsonb, expires_at timestamptz);
            create unlogged table work.rate_limits (key text primary key, hits int not null default 0);
            create sequence work.ticket_numbers start 1000;
            """);
        await command.ExecuteNonQueryAsync();
    }

    [OneTimeTearDown]
    public async Task DropDatabase() => await _database.DisposeAsync();

    [Test]
    public async Task Every_command_of_the_corpus_is_valid_SQL_and_passes_a_guarded_tenant_connection()
    {
        await using var tenants = _database.CreateTenantDataSource();
        await using var app = _database.CreateAppDataSource();
        var refused = new List<string>();
        var invalid = new List<string>();
        var commandPath = new List<string>();
        var commands = ApplicationCorpus.Commands();
        foreach (var sql in commands)
        {
            try
            {
                await using var connection = await tenants.OpenAsync("acme");
                await RunAsync(connection, sql);
                continue;
            }
            catch (TenantGuardException ex)
            {
                refused.Add($"{ex.Message}\n    {sql}");
                continue;
            }
            catch (DbException)
            {
            }

            // The same command on a plain connection of the application login, the tenant set for the session first.
            try
            {
                await using var connection = await app.OpenConnectionAsync();
                await using (var set = new NpgsqlCommand("select set_config('dapper_tenants.tenant', 'acme', false)", connection))
                {
                    await set.ExecuteNonQueryAsync();
                }

                await RunAsync(connection, sql);
                commandPath.Add(sql);
            }
            catch (DbException ex)
            {
                invalid.Add($"{ex.Message}\n    {sql}");
            }
        }

        TestContext.Out.WriteLine($"application corpus on PostgreSQL: {commands.Count} commands, {refused.Count} refused by the guard, "
            + $"{invalid.Count} invalid, {commandPath.Count} refused by PostgreSQL through the command path only");
        refused.ShouldBeEmpty(string.Join("\n", refused));
        invalid.ShouldBeEmpty(string.Join("\n", invalid));

        // The command path puts the context statement after what nothing may precede (BEGIN ISOLATION LEVEL, SET
        // TRANSACTION) and leaves it off statements that cannot run in a transaction block (VACUUM).
        commandPath.ShouldBeEmpty(string.Join("\n", commandPath));
    }

    /// <summary>Runs a command and reads every result, inside a transaction rolled back unless it manages transactions itself.</summary>
    private static async Task RunAsync(DbConnection connection, string sql)
    {
        var own = SqlTextShape.Of(SqlLexer.Tokenize(sql)).ChangesTransaction || sql.StartsWith("vacuum", StringComparison.OrdinalIgnoreCase);
        await using var transaction = own ? null : await connection.BeginTransactionAsync();
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        ApplicationCorpus.Bind((NpgsqlParameterCollection)command.Parameters, sql);
        await using var reader = await command.ExecuteReaderAsync();
        do
        {
            while (await reader.ReadAsync())
            {
            }
        }
        while (await reader.NextResultAsync());
    }
}
