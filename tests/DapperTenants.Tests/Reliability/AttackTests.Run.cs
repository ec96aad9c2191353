using System.Data;
using System.Transactions;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Reliability;

/// <summary>Running one attack in the fixture's mode and checking its outcome.</summary>
public partial class AttackTests
{
    private async Task AttackAsync(AttackCase attack, Outcome expected, bool sync)
    {
        var leases = await LeasesAsync(attack);
        try
        {
            // Created here and not in LeasesAsync: an ambient transaction set inside an awaited method does not flow back out of it.
            using var scope = attack.Before == Before.GlobexRanFirst && attack.Pool == Pool.TransactionScope
                ? new TransactionScope(TransactionScopeAsyncFlowOption.Enabled)
                : null;

            // Not completed: whatever the leases did in the scope's transaction is rolled back.
            await AttackAsync(attack, expected, sync, leases);
        }
        finally
        {
            await leases.DisposeAsync();
        }
    }

    private async Task AttackAsync(AttackCase attack, Outcome expected, bool sync, Leases leases)
    {
        Exception? globexError = null;
        int? globexSession = null;
        if (attack.Before == Before.GlobexLeftItsSettingInTheSession)
        {
            await using var globex = await leases.Globex.OpenAsync(OrdersDatabase.Globex);
            globexSession = globex.InnerConnection.ProcessID;
            await globex.InnerConnection.ExecuteAsync("select set_config('dapper_tenants.tenant', @value, false)", new { value = Db.ContextValue(OrdersDatabase.Globex) });
        }
        else if (attack.Before == Before.GlobexRanFirst)
        {
            var globex = sync && !attack.AsyncOnly ? leases.Globex.Open(OrdersDatabase.Globex) : await leases.Globex.OpenAsync(OrdersDatabase.Globex);
            await using (globex)
            {
                globexSession = await BackendAsync(globex);
                (_, globexError) = await AttackExecution.RunAsync(globex, attack.Globex!, null, Via.Reader, sync && !attack.AsyncOnly);
            }
        }

        var acme = sync && !attack.AsyncOnly ? leases.Acme.Open(OrdersDatabase.Acme) : await leases.Acme.OpenAsync(OrdersDatabase.Acme);
        await using (acme)
        {
            if (globexSession is not null && !MultiplexedPoolOfTwo(attack))
            {
                (await BackendAsync(acme)).ShouldBe(globexSession.Value, "acme's lease got the server session globex used");
            }

            if (expected == Outcome.NoForeignRows && attack.Control != string.Empty && !attack.Undefended && attack.Before != Before.GlobexRanFirst)
            {
                // The positive control: without the policies (or, for a session-level leftover, without acme's context)
                // the same read shows a foreign value.
                var control = attack.Before == Before.Nothing
                    ? await ReadAsAdminAsync(attack.Control ?? attack.Sql)
                    : [await acme.InnerConnection.ExecuteScalarAsync<string>(attack.Control!) ?? string.Empty];
                Foreign(control).ShouldNotBeEmpty($"the control must show a foreign value, or the check after '{attack.Sql}' could not fail");
            }

            var (values, acmeError) = await RunAsync(attack, acme, leases.Acme, Db, sync && !attack.AsyncOnly, mode == AttackMode.SignedContextGuardOff);
            var error = globexError ?? acmeError;
            await CheckAsync(attack, expected, values, error);

            // Whatever happened, acme still runs as acme: on the same lease, or, where Npgsql broke the connection, on the next.
            // (In a TransactionScope an error aborts the scope's transaction, where nothing runs until it ends.)
            if (acmeError is PostgresException && attack.Pool == Pool.TransactionScope && attack.Before == Before.GlobexRanFirst)
            {
                return;
            }

            if (acme.State != ConnectionState.Open)
            {
                expected.ShouldBe(Outcome.NpgsqlRefused, $"only Npgsql's refusal breaks the connection, but '{attack.Sql}' left it {acme.State}");
                await using var next = await leases.Acme.OpenAsync(OrdersDatabase.Acme);
                (await next.QueryAsync<string>("select distinct tenant from public.orders")).ShouldBe([OrdersDatabase.Acme]);
            }
            else
            {
                (await acme.QueryAsync<string>("select distinct tenant from public.orders")).ShouldBe([OrdersDatabase.Acme]);
            }
        }
    }

    private async Task CheckAsync(AttackCase attack, Outcome expected, List<string> values, Exception? error)
    {
        var foreign = Foreign(values);
        lock (Tried)
        {
            var (inLimits, outside) = ForeignSeen.GetValueOrDefault(mode);
            ForeignSeen[mode] = expected is Outcome.KnownLimit or Outcome.OnlyTheGuardStops ? (inLimits + foreign.Count, outside) : (inLimits, outside + foreign.Count);
        }

        switch (expected)
        {
            case Outcome.Guard:
                var refusal = error.ShouldBeOfType<TenantGuardException>($"the guard must refuse: {attack.Sql}");
                refusal.StatementKind.ShouldBe(attack.Kind, refusal.Message);
                refusal.Message.ShouldContain(attack.GuardSays ?? string.Empty);
                foreign.ShouldBeEmpty();
                break;
            case Outcome.Refused:
                var refused = error.ShouldBeOfType<PostgresException>($"the server must refuse: {attack.Sql}");
                refused.SqlState.ShouldBe(mode == AttackMode.SignedContextGuardOff ? attack.GuardOffSqlState ?? attack.SqlState : attack.SqlState, refused.MessageText);
                refused.MessageText.ShouldContain(attack.Says ?? string.Empty);
                Foreign([refused.MessageText, refused.Detail]).ShouldBeEmpty("the error shows no foreign value");
                foreign.ShouldBeEmpty();
                break;
            case Outcome.NpgsqlRefused:
                error.ShouldBeOfType<NotSupportedException>($"Npgsql must refuse: {attack.Sql}")
                    .Message.ShouldStartWith("COPY isn't supported in regular command execution");
                values.ShouldBeEmpty("no row was read");
                break;
            case Outcome.NoForeignRows:
                error.ShouldBeNull($"{attack.Sql} should run");
                foreign.ShouldBeEmpty();
                break;
            case Outcome.KnownLimit:
            case Outcome.OnlyTheGuardStops:
                error.ShouldBeNull($"{attack.Sql} should run");
                if (attack.Shows is not null)
                {
                    values.ShouldBe(attack.Shows, "PostgreSQL applies no policy here: a documented limit");
                }
                else if (attack.Evidence is not null)
                {
                    Foreign(await ReadAsAdminAsync(attack.Evidence, rollback: false)).ShouldNotBeEmpty("PostgreSQL applies no policy here: a documented limit");
                }
                else
                {
                    foreign.ShouldNotBeEmpty("it reaches foreign data: a documented limit");
                }

                break;
        }
    }

    /// <summary>The server process of a lease, asked of the server (Npgsql's ProcessID is PgBouncer's own behind it).</summary>
    private static async Task<int> BackendAsync(TenantConnection connection) =>
        await connection.InnerConnection.ExecuteScalarAsync<int>("select pg_backend_pid()");

    /// <summary>
    /// Runs <paramref name="sql"/> as the superuser, whose session holds globex's context: RLS does not apply to it, but
    /// objects that apply the policy as their owner (a view of the table owner) see the caller's setting. In a transaction
    /// that is rolled back, so a control of a statement that changes something changes nothing.
    /// </summary>
    private async Task<List<string>> ReadAsAdminAsync(string sql, bool rollback = true)
    {
        await using var admin = new NpgsqlConnection(Db.Database.AdminConnectionString);
        await admin.OpenAsync();
        await admin.ExecuteAsync("select set_config('dapper_tenants.tenant', @value, false)", new { value = Db.ContextValue(OrdersDatabase.Globex) });
        await using var transaction = rollback ? await admin.BeginTransactionAsync() : null;
        var (values, error) = await AttackExecution.RunAsync(admin, sql, null, Via.Reader, sync: false);
        error.ShouldBeNull();
        return values;
    }

    /// <summary>The data sources globex's and acme's leases come from (a TransactionScope pool is a pool of one; the scope is the caller's).</summary>
    private async Task<Leases> LeasesAsync(AttackCase attack)
    {
        if (attack.Before == Before.Nothing)
        {
            return new Leases(_tenants, _tenants, owned: false);
        }

        if (attack.Before == Before.GlobexLeftItsSettingInTheSession)
        {
            var pool = Tenants(b => (b.MaxPoolSize, b.NoResetOnClose) = (1, true));
            return new Leases(pool, pool, owned: true);
        }

        switch (attack.Pool)
        {
            case Pool.PgBouncer:
            case Pool.PgBouncerDeclared:
            {
                _bouncer ??= await PgBouncer.StartAsync(Db.Database, poolSize: 1);
                var through = new NpgsqlConnectionStringBuilder(_bouncer.AppConnectionString) { NoResetOnClose = false }.ConnectionString;
                TenantDataSource Instance() => TenantDataSource.Create(through, o =>
                {
                    o.SigningKey = Db.UsesSignedContext ? Signed.SignedDatabase.Key : null;
                    o.GuardMode = mode == AttackMode.SignedContextGuardOff ? TenantGuardMode.Off : TenantGuardMode.Throw;
                    o.BehindTransactionPooler = attack.Pool == Pool.PgBouncerDeclared;
                });
                // The pooler's one server session keeps what the attack left; the next case must not find it.
                var bouncer = _bouncer;
                return new Leases(Instance(), Instance(), owned: true, after: async () =>
                {
                    await using var plain = new NpgsqlConnection(bouncer.AppConnectionString);
                    await plain.OpenAsync();
                    await plain.ExecuteAsync("discard all");
                });
            }

            default:
            {
                var pool = Tenants(b =>
                {
                    b.MaxPoolSize = MultiplexedPoolOfTwo(attack) ? 2 : 1;
                    b.NoResetOnClose = attack.Pool == Pool.NoResetOnClose;
                    b.Multiplexing = attack.Pool == Pool.Multiplexing;
                });
                return new Leases(pool, pool, owned: true);
            }
        }
    }

    /// <summary>
    /// With multiplexing and Max Pool Size 1 the first open of a guarded data source hangs: it reads
    /// NpgsqlConnection.PostgresParameters, which on a multiplexed connection waits for a connector of its own (Npgsql
    /// 10.0.3). The guarded modes get a pool of two, where the guard refuses globex's statement whichever backend acme gets.
    /// </summary>
    private bool MultiplexedPoolOfTwo(AttackCase attack) => attack.Pool == Pool.Multiplexing && mode != AttackMode.SignedContextGuardOff;

    private sealed class Leases(TenantDataSource globex, TenantDataSource acme, bool owned, Func<Task>? after = null) : IAsyncDisposable
    {
        public TenantDataSource Globex => globex;

        public TenantDataSource Acme => acme;

        public async ValueTask DisposeAsync()
        {
            if (owned)
            {
                await globex.DisposeAsync();
                if (!ReferenceEquals(globex, acme))
                {
                    await acme.DisposeAsync();
                }
            }

            if (after is not null)
            {
                await after();
            }
        }
    }
}
