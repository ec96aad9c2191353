using System.Data.Common;
using System.Text;
using System.Transactions;
using Npgsql;

namespace DapperTenants.Tests.Reliability;

/// <summary>
/// Many workers, random tenants, every Dapper shape, writes, transactions, failures, cancellations and timeouts:
/// every row read is checked against the reader's tenant, every write afterwards from the superuser's side.
/// </summary>
public sealed class LeakFuzzer
{
    public const string Schema = """
        create table fuzz_items (
            id bigint primary key,
            tenant text not null default nullif(current_setting('dapper_tenants.tenant', true), ''),
            payload text not null,
            version int not null default 0);
        create index fuzz_items_tenant on fuzz_items (tenant, id);
        alter table fuzz_items enable row level security;
        alter table fuzz_items force row level security;
        create policy dapper_tenants_isolation on fuzz_items
            using (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')::text))
            with check (tenant = (select nullif(current_setting('dapper_tenants.tenant', true), '')::text));
        """;

    private const string Columns = "select id, tenant, payload, version from fuzz_items";

    private readonly string[] _tenants;
    private long _nextId = 1_000_000;

    public LeakFuzzer(int tenants)
    {
        _tenants = Enumerable.Range(0, tenants).Select(i => $"tenant-{i:D3}").ToArray();
    }

    public IReadOnlyList<string> Tenants => _tenants;

    /// <summary>Seeds a few rows per tenant, as a superuser.</summary>
    public string SeedSql()
    {
        var values = new StringBuilder();
        var id = 1;
        foreach (var tenant in _tenants)
        {
            for (var i = 0; i < 4; i++, id++)
            {
                values.Append(values.Length == 0 ? string.Empty : ",").Append(System.Globalization.CultureInfo.InvariantCulture, $"({id}, '{tenant}', '{tenant}:seed', 0)");
            }
        }

        return "insert into fuzz_items (id, tenant, payload, version) values " + values;
    }

    public async Task<FuzzReport> RunAsync(FuzzSetup setup, int workers, int sessions, int seed)
    {
        var report = new FuzzReport { Setup = setup.Name };
        await using var tenants = setup.CreateTenants();
        var remaining = sessions;
        var tasks = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed * 1000 + w);
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                await SessionAsync(setup, tenants, random, report);
            }
        }));
        await Task.WhenAll(tasks);
        return report;
    }

    /// <summary>Checks every row from the superuser's side: each write puts its writer's tenant in the payload, so a row whose tenant differs from its payload's was written across tenants.</summary>
    /// <remarks>
    /// The payload is the whole record: a worker writes its own tenant name into it on every insert, update and upsert,
    /// so a write stamped or applied under the wrong tenant shows as a mismatch. (Bookkeeping of inserted ids per tenant
    /// adds nothing to that and races with concurrent deletes of the same tenant, so there is none.)
    /// </remarks>
    public static async Task VerifyAsync(string adminConnectionString, FuzzReport report)
    {
        await using var admin = new NpgsqlConnection(adminConnectionString);
        await admin.OpenAsync();
        var rows = (await admin.QueryAsync<FuzzRow>(Columns)).ToList();
        report.Rows(rows.Count);
        foreach (var row in rows)
        {
            if (!row.Payload.StartsWith(row.Tenant + ":", StringComparison.Ordinal))
            {
                report.Leak($"row {row.Id} belongs to '{row.Tenant}' but was written by '{row.Payload.Split(':')[0]}'");
            }

        }
    }

    private async Task SessionAsync(FuzzSetup setup, TenantDataSource tenants, Random random, FuzzReport report)
    {
        var tenant = _tenants[random.Next(_tenants.Length)];
        var sync = !setup.AsyncOnly && random.Next(2) == 0;
        var trace = new List<string> { $"{(sync ? "sync" : "async")} open '{tenant}'" };
        report.Session();
        var scope = setup.TransactionScopes && random.Next(3) == 0 ? new TransactionScope(TransactionScopeAsyncFlowOption.Enabled) : null;
        try
        {
            var connection = sync ? tenants.Open(tenant) : await tenants.OpenAsync(tenant);
            var session = new FuzzSession(this, connection, tenant, sync, random, report, trace);
            try
            {
                for (var i = random.Next(1, 6); i > 0; i--)
                {
                    await session.StepAsync(scope is null);
                }
            }
            finally
            {
                if (random.Next(4) == 0)
                {
                    trace.Add("dispose without close");
                }
                else
                {
                    await connection.CloseAsync();
                }

                await connection.DisposeAsync();
            }

            if (scope is not null)
            {
                if (random.Next(2) == 0)
                {
                    trace.Add("scope complete");
                    scope.Complete();
                    scope.Dispose();
                }
                else
                {
                    trace.Add("scope abandoned");
                    scope.Dispose();
                }

                scope = null;
            }
        }
        catch (LeakException leak)
        {
            report.Leak(leak.Message + Environment.NewLine + "    after: " + string.Join(" → ", trace));
        }
        catch (Exception ex) when (IsExpected(ex))
        {
            report.ExpectedFailure();
        }
        catch (Exception ex)
        {
            report.Unexpect($"{ex.GetType().Name}: {ex.Message}{Environment.NewLine}    after: {string.Join(" → ", trace)}");
        }
        finally
        {
            scope?.Dispose();
        }
    }

    internal long NewId() => Interlocked.Increment(ref _nextId);

    internal long AnyId(Random random) => random.Next(3) == 0 ? random.Next(1, _tenants.Length * 4 + 1) : Interlocked.Read(ref _nextId) - random.Next(0, 200);

    internal static bool IsExpected(Exception ex) => ex switch
    {
        PostgresException pg => pg.SqlState is PostgresErrorCodes.DivisionByZero or PostgresErrorCodes.QueryCanceled
            or PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.UniqueViolation
            or PostgresErrorCodes.InFailedSqlTransaction or PostgresErrorCodes.SerializationFailure,
        OperationCanceledException => true,
        NpgsqlException { InnerException: TimeoutException } => true,
        TransactionException => true,
        _ => false,
    };

    internal static void Check(IEnumerable<FuzzRow> rows, string tenant, FuzzReport report, string what)
    {
        var count = 0;
        foreach (var row in rows)
        {
            count++;
            if (row.Tenant != tenant || !row.Payload.StartsWith(tenant + ":", StringComparison.Ordinal))
            {
                throw new LeakException($"'{tenant}' read row {row.Id} of '{row.Tenant}' through {what}");
            }
        }

        report.Rows(count);
    }

    internal static async Task<List<FuzzRow>> ReadAllAsync(DbDataReader reader, int? stopAfter)
    {
        var rows = new List<FuzzRow>();
        while ((stopAfter is null || rows.Count < stopAfter) && await reader.ReadAsync())
        {
            rows.Add(new FuzzRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3)));
        }

        return rows;
    }

    internal sealed class LeakException(string message) : Exception(message);
}

public sealed record FuzzRow(long Id, string Tenant, string Payload, int Version);
