using Dapper;
using DapperTenants.Testing;
using Npgsql;
using Spectre.Console;

namespace DapperTenants.Cli.Demo;

/// <summary>The isolation steps: schema, policies, seed, reads, stamping, wrong-tenant writes and no tenant.</summary>
internal sealed partial class DemoRunner
{
    // The tenant leads both primary keys (one index serves the policy filter) and the foreign key is composite, so a
    // tenant's order can only reference that tenant's customer.
    private const string Schema = """
        create table customers (
            tenant text not null,
            id     int  not null,
            name   text not null,
            primary key (tenant, id));
        create table orders (
            tenant      text          not null,
            id          int           not null,
            customer_id int           not null,
            total       numeric(10,2) not null,
            primary key (tenant, id),
            foreign key (tenant, customer_id) references customers (tenant, id));
        """;

    private const string WrongTenantInsert = "insert into customers (tenant, id, name) values ('globex', @Id, 'Mallory')";

    private async Task CreateSchemaAsync(TestDatabase database, CancellationToken cancellationToken)
    {
        Step("Schema: two tables, created by the owner role (plain SQL, no policies yet)");
        await database.ExecuteAsOwnerAsync(Schema, cancellationToken).ConfigureAwait(false);
        WriteSql(Schema);
    }

    private async Task ApplyPoliciesAsync(TestDatabase database, CancellationToken cancellationToken)
    {
        Step("Policies: PolicyInstaller reads the [Rls] types Customer and Order and applies what is missing");
        var owner = database.CreateOwnerDataSource();
        await using (owner.ConfigureAwait(false))
        {
            var installer = new PolicyInstaller(owner).Add<Customer>().Add<Order>();
            var plan = await installer.ApplyAsync(cancellationToken).ConfigureAwait(false);
            var table = _context.CreateTable("Target", "Reason");
            foreach (var step in plan.Steps)
            {
                table.AddRow(Markup.Escape(step.Target), Markup.Escape(step.Reason));
            }

            _context.Write(table);
            Check(plan.Errors.Count == 0 && !plan.IsEmpty, $"applied {plan.Steps.Count} steps in one transaction");
            var again = await installer.PlanAsync(cancellationToken).ConfigureAwait(false);
            Check(again.IsEmpty, "a second plan finds nothing to do (idempotent)");
        }
    }

    private async Task SeedAsync(TenantDataSource tenants, CancellationToken cancellationToken)
    {
        Step("Seed: each tenant writes its own rows through a tenant connection");
        Customer[] acme = [new() { Tenant = Acme, Id = 1, Name = "Ada" }, new() { Tenant = Acme, Id = 2, Name = "Alan" }];
        Customer[] globex = [new() { Tenant = Globex, Id = 1, Name = "Grace" }];
        Order[] acmeOrders = [new() { Tenant = Acme, Id = 1, CustomerId = 1, Total = 120.50m }, new() { Tenant = Acme, Id = 2, CustomerId = 2, Total = 75m }];
        Order[] globexOrders = [new() { Tenant = Globex, Id = 1, CustomerId = 1, Total = 990m }];
        await InsertAsync(tenants, Acme, acme, acmeOrders, cancellationToken).ConfigureAwait(false);
        await InsertAsync(tenants, Globex, globex, globexOrders, cancellationToken).ConfigureAwait(false);
        Note("insert into customers (tenant, id, name) values (@Tenant, @Id, @Name)   -- with each tenant's own value");
        Console.MarkupLine($"{Acme}: {acme.Length} customers, {acmeOrders.Length} orders; {Globex}: {globex.Length} customer, {globexOrders.Length} order");
    }

    private static async Task InsertAsync(TenantDataSource tenants, string tenant, Customer[] customers, Order[] orders, CancellationToken cancellationToken)
    {
        var connection = await tenants.OpenAsync(tenant, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "insert into customers (tenant, id, name) values (@Tenant, @Id, @Name)", customers, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                "insert into orders (tenant, id, customer_id, total) values (@Tenant, @Id, @CustomerId, @Total)", orders, cancellationToken: cancellationToken))
                .ConfigureAwait(false);
        }
    }

    private async Task ShowEachTenantSeesItsRowsAsync(TestDatabase database, TenantDataSource tenants, CancellationToken cancellationToken)
    {
        Step("Reads: the same query, each tenant sees only its own rows");
        const string query = "select tenant, id, name from customers order by id";
        Note(query + "   -- no WHERE tenant = ...");
        var table = _context.CreateTable("Connection", "tenant", "id", "name");
        var seen = new List<(string Tenant, List<Customer> Rows)>();
        foreach (var tenant in new[] { Acme, Globex })
        {
            var connection = await tenants.OpenAsync(tenant, cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var rows = (await connection.QueryAsync<Customer>(new CommandDefinition(query, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
                foreach (var row in rows)
                {
                    table.AddRow(Markup.Escape($"Open(\"{tenant}\")"), Markup.Escape(row.Tenant), row.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(row.Name));
                }

                seen.Add((tenant, rows));
            }
        }

        _context.Write(table);
        foreach (var (tenant, rows) in seen)
        {
            Check(rows.Count > 0 && rows.All(r => r.Tenant == tenant), $"{tenant} sees {rows.Count} customer(s), all its own");
        }

        var total = await CountAsAdminAsync(database, "customers", cancellationToken).ConfigureAwait(false);
        Note($"(the table holds {total} rows in all, as a superuser sees it)");
    }

    private async Task ShowStampingAsync(TenantDataSource tenants, CancellationToken cancellationToken)
    {
        Step("Stamping: an insert that leaves out the tenant column gets the connection's tenant");
        const string insert = "insert into customers (id, name) values (3, 'Barbara') returning tenant";
        Note(insert);
        var connection = await tenants.OpenAsync(Acme, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var stamped = await connection.ExecuteScalarAsync<string>(new CommandDefinition(insert, cancellationToken: cancellationToken)).ConfigureAwait(false);
            Check(stamped == Acme, $"the new row's tenant is '{stamped}'");
        }
    }

    private async Task ShowWrongTenantInsertAsync(TestDatabase database, TenantDataSource tenants, CancellationToken cancellationToken)
    {
        Step("Wrong tenant: acme tries to write a row for globex");
        Note(WrongTenantInsert.Replace("@Id", "100", StringComparison.Ordinal));
        var connection = await tenants.OpenAsync(Acme, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                await connection.ExecuteAsync(new CommandDefinition(WrongTenantInsert, new { Id = 100 }, cancellationToken: cancellationToken)).ConfigureAwait(false);
                Check(false, "the guard (GuardMode.Throw) or the database refuses the insert");
            }
            catch (TenantGuardException ex)
            {
                Check(true, "the guard (GuardMode.Throw) stopped it before it was sent:");
                Console.MarkupLine($"  [dim]TenantGuardException:[/] {Markup.Escape(ex.Message)}");
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                // Isolation held, but this step exists to show the guard: a guard that let the write through is a failure.
                Check(false, "the guard (GuardMode.Throw) let it through; the database's policy refused it instead:");
                Console.MarkupLine($"  [dim]PostgresException {ex.SqlState}:[/] {Markup.Escape(ex.MessageText)}");
            }
        }

        var unguarded = database.CreateTenantDataSource(configureOptions: o => o.GuardMode = TenantGuardMode.Off);
        await using (unguarded.ConfigureAwait(false))
        {
            var off = await unguarded.OpenAsync(Acme, cancellationToken).ConfigureAwait(false);
            await using (off.ConfigureAwait(false))
            {
                try
                {
                    await off.ExecuteAsync(new CommandDefinition(WrongTenantInsert, new { Id = 101 }, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    Check(false, "with GuardMode.Off the database refuses the insert");
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
                {
                    Check(true, "with GuardMode.Off the statement reaches the database, and the policy's WITH CHECK refuses it:");
                    Console.MarkupLine($"  [dim]PostgresException {ex.SqlState}:[/] {Markup.Escape(ex.MessageText)}");
                }
            }
        }

        var written = await CountAsAdminAsync(database, "customers where name = 'Mallory'", cancellationToken).ConfigureAwait(false);
        Check(written == 0, $"neither attempt wrote a row: a superuser counts {written} Mallory row(s)");
    }

    private async Task ShowNoTenantAsync(TestDatabase database, CancellationToken cancellationToken)
    {
        Step("No tenant: the app login without a tenant sees nothing (fail closed)");
        const string query = "select count(*) from customers";
        Note(query + "   -- plain Npgsql connection, same app login, tenant setting unset");
        var plain = database.CreateAppDataSource();
        await using (plain.ConfigureAwait(false))
        {
            var connection = await plain.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var count = await connection.ExecuteScalarAsync<long>(new CommandDefinition(query, cancellationToken: cancellationToken)).ConfigureAwait(false);
                Check(count == 0, $"count(*) = {count}: an unset tenant matches no row, never every row");
            }
        }
    }

    private static async Task<long> CountAsAdminAsync(TestDatabase database, string table, CancellationToken cancellationToken)
    {
        var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.AdminConnectionString) { Pooling = false }.ConnectionString);
        await using (admin.ConfigureAwait(false))
        {
            await admin.OpenAsync(cancellationToken).ConfigureAwait(false);
            return await admin.ExecuteScalarAsync<long>(new CommandDefinition($"select count(*) from {table}", cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    private void WriteSql(string sql)
    {
        foreach (var line in sql.Split('\n'))
        {
            Note("  " + line.TrimEnd());
        }
    }
}
