using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Transactions;
using Npgsql;

namespace DapperTenants.Tests.Reliability;

/// <summary>
/// Many workers, random tenants, every Dapper shape, writes, transactions, failures, cancellations and timeouts:
/// every row read is checked against the reader's tenant, every write afterwards from the superuser's side.
/// </summary>
/// <remarks>
/// The seed rows are canaries: <see cref="CanariesPerTenant"/> rows per tenant that other tenants' updates, deletes and
/// upserts aim at (a third of all targeted ids), while a tenant's own writes never do. So a canary that is missing or
/// changed afterwards was deleted or written across tenants, which a check of the surviving rows alone cannot see.
/// </remarks>
public sealed class LeakFuzzer
{
    public const int CanariesPerTenant = 4;

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

    /// <summary>
    /// The same table without a policy or tenant default, for <see cref="PolicyInstaller"/> to install them (the signed
    /// context's setups install it with <see cref="PolicyInstaller.UseSignedContext"/>).
    /// </summary>
    public const string BareSchema = """
        create table fuzz_items (
            id bigint primary key,
            tenant text not null,
            payload text not null,
            version int not null default 0);
        create index fuzz_items_tenant on fuzz_items (tenant, id);
        """;

    private const string Columns = "select id, tenant, payload, version from fuzz_items";
    private const long FirstNewId = 1_000_000;

    private readonly string[] _tenants;
    private long _nextId = FirstNewId;

    public LeakFuzzer(int tenants)
    {
        _tenants = Enumerable.Range(0, tenants).Select(i => $"tenant-{i:D3}").ToArray();
    }

    public IReadOnlyList<string> Tenants => _tenants;

    /// <summary>Empties the table and writes the canaries again, as a superuser: each run starts from the same rows.</summary>
    public string ResetSql()
    {
        var values = new StringBuilder();
        for (var t = 0; t < _tenants.Length; t++)
        {
            for (var i = 0; i < CanariesPerTenant; i++)
            {
                values.Append(values.Length == 0 ? string.Empty : ",")
                    .Append(CultureInfo.InvariantCulture, $"({CanaryId(t, i)}, '{_tenants[t]}', '{_tenants[t]}:seed', 0)");
            }
        }

        return "truncate fuzz_items; insert into fuzz_items (id, tenant, payload, version) values " + values;
    }

    /// <summary>Runs sessions on <paramref name="workers"/> workers until <paramref name="operations"/> operations have run.</summary>
    public async Task<FuzzReport> RunAsync(FuzzSetup setup, int workers, long operations, int seed)
    {
        var report = new FuzzReport { Setup = setup.Name, Seed = seed };
        await using var tenants = setup.CreateTenants();
        var tasks = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed * 1000 + w);
            while (report.Operations < operations)
            {
                await SessionAsync(setup, tenants, random, report);
            }
        }));
        await Task.WhenAll(tasks);
        return report;
    }

    /// <summary>
    /// Checks every row from the superuser's side: each write puts its writer's tenant in the payload, so a row whose
    /// tenant differs from its payload's was written across tenants; and every canary must be there, unchanged.
    /// </summary>
    public async Task VerifyAsync(string adminConnectionString, FuzzReport report)
    {
        await using var admin = new NpgsqlConnection(adminConnectionString);
        await admin.OpenAsync();
        var rows = (await admin.QueryAsync<FuzzRow>(Columns + " order by id")).ToList();
        report.Verified(rows.Count);
        foreach (var row in rows.Where(r => !r.Payload.StartsWith(r.Tenant + ":", StringComparison.Ordinal)))
        {
            report.Leak($"row {row.Id} belongs to '{row.Tenant}' but was written by '{row.Payload.Split(':')[0]}'");
        }

        var byId = rows.ToDictionary(r => r.Id);
        for (var t = 0; t < _tenants.Length; t++)
        {
            for (var i = 0; i < CanariesPerTenant; i++)
            {
                var id = CanaryId(t, i);
                var expected = new FuzzRow(id, _tenants[t], _tenants[t] + ":seed", 0);
                if (!byId.TryGetValue(id, out var row))
                {
                    report.Leak($"canary row {id} of '{_tenants[t]}' is gone: another tenant deleted it");
                }
                else if (row != expected)
                {
                    report.Leak($"canary row {id} of '{_tenants[t]}' was changed to {row}: another tenant wrote it");
                }
                else
                {
                    report.CanaryIntact();
                }
            }
        }
    }

    private async Task SessionAsync(FuzzSetup setup, TenantDataSource tenants, Random random, FuzzReport report)
    {
        var tenantIndex = random.Next(_tenants.Length);
        var tenant = _tenants[tenantIndex];
        var sync = !setup.AsyncOnly && random.Next(2) == 0;
        var readOnly = setup.ReadOnlySessions && random.Next(2) == 0;
        var trace = new List<string> { $"{(sync ? "sync" : "async")} open{(readOnly ? " read-only" : string.Empty)} '{tenant}'" };
        report.Session();
        var scope = setup.TransactionScopes && random.Next(3) == 0 ? new TransactionScope(TransactionScopeAsyncFlowOption.Enabled) : null;
        FuzzSession? session = null;
        try
        {
            var connection = (sync, readOnly) switch
            {
                (true, false) => tenants.Open(tenant),
                (false, false) => await tenants.OpenAsync(tenant),
                (true, true) => tenants.OpenReadOnly(tenant),
                (false, true) => await tenants.OpenReadOnlyAsync(tenant),
            };
            if (readOnly)
            {
                report.ReadOnlySession(sync
                    ? connection.ExecuteScalar<bool>("select pg_is_in_recovery()")
                    : await connection.ExecuteScalarAsync<bool>("select pg_is_in_recovery()"));
            }

            session = new FuzzSession(this, connection, tenantIndex, sync, scope is not null, random, report, trace, readOnly);
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
                var complete = random.Next(2) == 0;
                trace.Add(complete ? "scope complete" : "scope abandoned");
                try
                {
                    if (complete)
                    {
                        scope.Complete();
                    }

                    scope.Dispose();
                }
                catch (Exception ex) when (FuzzFailures.ClassifyScopeEnd(ex, session.ScopeAborted) is { } reason)
                {
                    report.Failure(reason);
                }

                scope = null;
            }
        }
        catch (LeakException leak)
        {
            report.Leak(leak.Message + Environment.NewLine + "    after: " + string.Join(" → ", trace));
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

    /// <summary>
    /// An id to read or write: a third of the time another tenant's canary (never the tenant's own), otherwise one of
    /// the last 200 ids handed out, whoever wrote it.
    /// </summary>
    internal long AnyId(Random random, int ownTenant)
    {
        if (random.Next(3) == 0)
        {
            var other = random.Next(_tenants.Length - 1);
            return CanaryId(other >= ownTenant ? other + 1 : other, random.Next(CanariesPerTenant));
        }

        return Interlocked.Read(ref _nextId) - random.Next(0, 200);
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

    private static long CanaryId(int tenant, int i) => (tenant * CanariesPerTenant) + i + 1;

    internal sealed class LeakException(string message) : Exception(message);
}

public sealed record FuzzRow(long Id, string Tenant, string Payload, int Version);
