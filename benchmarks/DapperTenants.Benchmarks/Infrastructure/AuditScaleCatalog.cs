using System.Globalization;
using Npgsql;

namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// A generated catalog for timing the audit on a large schema (issue #22: 22,000 relations): per unit, a tenant table with
/// Row-Level Security and a policy on the setting, and a view over it; every 4th unit a SECURITY DEFINER function reading
/// its table; every 10th table without FORCE; every 20th unit a partitioned tenant table with 4 partitions, the first
/// granted to PUBLIC (the others reachable through the parent only). 9,800 units
/// make 22,050 tables, partitions and views (31,850 relations with the primary keys), in schema <see cref="Schema"/>.
/// </summary>
/// <remarks>Shared by the <c>auditscale</c> benchmark and the audit's tests (linked source); run as the tables' owner.</remarks>
internal static class AuditScaleCatalog
{
    /// <summary>The schema the catalog is generated in.</summary>
    public const string Schema = "scale";

    /// <summary>Units that make the issue's 22,000 relations (tables, partitions and views).</summary>
    public const int IssueUnits = 9_800;

    // Units per transaction: each takes a few locks per object, and the lock table holds about 6,400 by default.
    private const int Batch = 200;

    /// <summary>Tables, partitions and views that <paramref name="units"/> units make.</summary>
    public static int Relations(int units) => (2 * units) + (5 * (units / 20));

    /// <summary>
    /// Creates the catalog: <paramref name="units"/> units, in transactions of <see cref="Batch"/> units. The system
    /// catalogs are not analyzed, as right after a migration: their statistics still describe an empty database.
    /// </summary>
    public static async Task CreateAsync(string ownerConnectionString, int units, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ownerConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var schema = new NpgsqlCommand($"create schema {Schema}", connection))
        {
            await schema.ExecuteNonQueryAsync(cancellationToken);
        }

        for (var from = 1; from <= units; from += Batch)
        {
            await using var command = new NpgsqlCommand(Sql(from, Math.Min(units, from + Batch - 1)), connection) { CommandTimeout = 0 };
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static string Sql(int from, int to) => string.Format(CultureInfo.InvariantCulture, """
        do $gen$
        declare
            i int;
            k int;
            policy text := 'create policy tenant_isolation on {2}.%I using (tenant_id = nullif(current_setting(''dapper_tenants.tenant'', true), '''')::int)';
        begin
            for i in {0}..{1} loop
                execute format('create table {2}.t%s (id int primary key, tenant_id int not null)', i);
                execute format('alter table {2}.t%s enable row level security', i);
                if i % 10 <> 0 then
                    execute format('alter table {2}.t%s force row level security', i);
                end if;
                execute format(policy, 't' || i);
                execute format('create view {2}.v%s as select id, tenant_id from {2}.t%s', i, i);
                if i % 4 = 0 then
                    execute format('create function {2}.f%s() returns bigint language sql security definer as $f$ select count(*) from {2}.t%s $f$', i, i);
                end if;
                if i % 20 = 0 then
                    execute format('create table {2}.p%s (id int not null, tenant_id int not null) partition by list (tenant_id)', i);
                    execute format('alter table {2}.p%s enable row level security', i);
                    execute format('alter table {2}.p%s force row level security', i);
                    execute format(policy, 'p' || i);
                    for k in 1..4 loop
                        execute format('create table {2}.p%s_%s partition of {2}.p%s for values in (%s)', i, k, i, k);
                        if k = 1 then
                            execute format('grant select on {2}.p%s_1 to public', i);
                        end if;
                    end loop;
                end if;
            end loop;
        end
        $gen$
        """, from, to, Schema);
}
