using System.Diagnostics;
using Dapper;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Policies;

/// <summary>
/// The Citus script of <see cref="CitusScriptTests"/>, run twice with psql on plain PostgreSQL with stand-ins for
/// <c>pg_dist_partition</c> and the two distribution functions (no Citus can run here): its SQL is valid, its guards make
/// it re-runnable, the distribution calls arrive in the documented order with the documented arguments, and the Citus
/// form of the policies isolates tenants. Citus's own behaviour is not checked.
/// </summary>
[Category(Categories.Database)]
public sealed class CitusScriptPsqlTests
{
    // Like Citus, each stand-in refuses a table that is already distributed: a second call means a guard failed.
    private const string StandIns = """
        create table public.pg_dist_partition (seq serial, logicalrelid regclass primary key, distribution_column text, colocate_with text);
        create function public.create_distributed_table(table_name regclass, distribution_column text, colocate_with text default 'default')
            returns void language plpgsql as $$
            begin
                if exists (select from public.pg_dist_partition p where p.logicalrelid = table_name) then
                    raise exception 'table % is already distributed', table_name;
                end if;
                insert into public.pg_dist_partition (logicalrelid, distribution_column, colocate_with) values (table_name, distribution_column, colocate_with);
            end $$;
        create function public.create_reference_table(table_name regclass) returns void language plpgsql as $$
            begin
                perform public.create_distributed_table(table_name, null, 'reference');
            end $$;
        """;

    private const string Tables = """"
        create schema "Sales";
        create table customers (tenant text not null, id int not null, primary key (tenant, id));
        create table devices (tenant_id uuid not null, id int not null, primary key (tenant_id, id));
        create table catalog_items (tenant text, id int primary key, name text not null);
        create table "Sales"."Order'Lines" ("Tenant ""Key""" text not null, id int not null, primary key ("Tenant ""Key""", id));
        create table readings (tenant_id uuid not null, id int not null, primary key (tenant_id, id));
        """";

    [Test]
    public async Task The_Citus_script_runs_twice_distributes_in_order_and_its_policies_isolate_tenants()
    {
        await using var database = await TestServer.CreateDatabaseAsync("citus_script");
        await database.ExecuteAsAdminAsync(StandIns);
        await database.ExecuteAsOwnerAsync(Tables);
        using var offline = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody");
        var script = new PolicyInstaller(offline)
            .Add<CitusScriptTests.Customer>().Add<CitusScriptTests.Device>().Add<CitusScriptTests.CatalogItem>()
            .Add<CitusScriptTests.OrderLine>().Add<CitusScriptTests.Reading>()
            .GrantTo(database.AppRole).UseCitus().Script();

        // The admin runs it: on plain PostgreSQL, ALTER ROLE ... SET of a setting no extension defines needs a superuser.
        await RunPsqlTwiceAsync(database, script);

        await using (var admin = new NpgsqlConnection(database.AdminConnectionString))
        {
            var distributed = (await admin.QueryAsync<string>(
                "select logicalrelid::text || ' ' || coalesce(distribution_column, '-') || ' ' || colocate_with from public.pg_dist_partition order by seq")).ToList();
            distributed.ShouldBe([
                "catalog_items - reference",
                "customers tenant default",
                "devices tenant_id default",
                "\"Sales\".\"Order'Lines\" Tenant \"Key\" \"public\".\"customers\"",
                "readings tenant_id \"public\".\"devices\"",
            ]);
            (await admin.ExecuteScalarAsync<string>(
                "select array_to_string(s.setconfig, ',') from pg_db_role_setting s join pg_roles r on r.oid = s.setrole where r.rolname = @role and s.setdatabase = 0",
                new { role = database.AppRole })).ShouldBe("citus.propagate_set_commands=local");
            await admin.ExecuteAsync("insert into catalog_items (tenant, id, name) values (null, 1, 'shared')");
        }

        await using var tenants = database.CreateTenantDataSource();
        await using (var acme = await tenants.OpenAsync("acme"))
        {
            await acme.ExecuteAsync("insert into customers (id) values (1)");
            await acme.ExecuteAsync("insert into \"Sales\".\"Order'Lines\" (id) values (1)");
            await acme.ExecuteAsync("insert into catalog_items (id, name) values (2, 'acme')");
            (await acme.QueryAsync<int>("select id from catalog_items order by id")).ShouldBe([1, 2]);
        }

        // The policy itself, past the guard (which refuses this statement first): the login with acme's setting.
        await using (var app = database.CreateAppDataSource())
        await using (var connection = await app.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync("select set_config('dapper_tenants.tenant', 'acme', true)", transaction: transaction);
            var refused = await Should.ThrowAsync<PostgresException>(
                () => connection.ExecuteAsync("insert into customers (tenant, id) values ('globex', 2)", transaction: transaction));
            refused.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        }

        await using (var globex = await tenants.OpenAsync("globex"))
        {
            (await globex.ExecuteScalarAsync<long>("select count(*) from customers")).ShouldBe(0);
            (await globex.ExecuteScalarAsync<long>("select count(*) from \"Sales\".\"Order'Lines\"")).ShouldBe(0);
            (await globex.QueryAsync<int>("select id from catalog_items order by id")).ShouldBe([1]);
        }
    }

    private static async Task RunPsqlTwiceAsync(TestDatabase database, string script)
    {
        var path = Path.Combine(Path.GetTempPath(), $"dapper-tenants-citus-{Guid.NewGuid():N}.sql");
        try
        {
            await File.WriteAllTextAsync(path, script);
            await RunPsqlAsync(database, path);
            await RunPsqlAsync(database, path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task RunPsqlAsync(TestDatabase database, string path)
    {
        var connection = new NpgsqlConnectionStringBuilder(database.AdminConnectionString);
        var start = new ProcessStartInfo("psql") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", path })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PGHOST"] = connection.Host;
        start.Environment["PGPORT"] = connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["PGDATABASE"] = connection.Database;
        start.Environment["PGUSER"] = connection.Username;
        start.Environment["PGPASSWORD"] = connection.Password;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("psql did not start; install the PostgreSQL client (apt-get install postgresql-client).");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.ShouldBe(0, await stderr + await stdout);
    }
}
