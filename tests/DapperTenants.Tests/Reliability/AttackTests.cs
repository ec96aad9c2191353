using System.Globalization;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Reliability;

/// <summary>
/// Attempts, through a tenant connection for acme, to reach globex's or initech's rows. Each has its expected outcome:
/// the guard refuses it, the database refuses it, Npgsql refuses it, or it runs and shows no foreign row. Where
/// PostgreSQL itself lets one through (objects owned by a role that bypasses RLS, foreign-key checks), the test pins
/// that down as a known limit, listed in the README.
/// </summary>
/// <remarks>
/// To add an attack, add one line to <see cref="Cases"/>. A case that expects no foreign rows runs its SQL (or its
/// <see cref="AttackCase.Control"/>) first as the superuser with globex's setting, which must show a foreign value: the
/// positive control that proves the check after the attack can fail.
/// </remarks>
[Category(Categories.Database)]
[NonParallelizable]
public class AttackTests
{
    private static readonly string[] ForeignValues = ["globex", "initech", "g1", "g2", "g3", "i1", "i2"];
    private static readonly Dictionary<Outcome, int> Tried = [];
    private static int _foreignRowsOutsideLimits;
    private static int _foreignRowsInLimits;
    private OrdersDatabase _db = null!;
    private TenantDataSource _tenants = null!;

    public enum Outcome
    {
        /// <summary>The guard throws <see cref="TenantGuardException"/> before anything is sent.</summary>
        Guard,

        /// <summary>The server refuses the statement with a <see cref="PostgresException"/>.</summary>
        Refused,

        /// <summary>
        /// Npgsql refuses it: a <see cref="NotSupportedException"/> when the server starts a COPY in a regular command,
        /// before any row is read; Npgsql breaks the connection.
        /// </summary>
        NpgsqlRefused,

        /// <summary>It runs; no foreign row or value comes back, and the next statement still runs as acme.</summary>
        NoForeignRows,

        /// <summary>PostgreSQL lets it reach foreign data: a documented limit of RLS.</summary>
        KnownLimit,
    }

    /// <summary>What runs before the attack.</summary>
    public enum Before
    {
        /// <summary>Nothing: the attack runs on a lease of the shared data source.</summary>
        Nothing,

        /// <summary>
        /// A globex lease leaves <c>dapper_tenants.tenant = 'globex'</c> at session level on the only server session of a
        /// pool that never resets (<c>No Reset On Close</c>); acme's lease then gets that very session.
        /// </summary>
        GlobexLeftItsSettingInTheSession,
    }

    /// <summary>The attacks; the first three columns are the test's name, its expected outcome and the SQL acme sends.</summary>
    public static IEnumerable<AttackCase> Cases =>
    [
        new("SET", Outcome.Guard, "set dapper_tenants.tenant = 'globex'"),
        new("SET_TO_DEFAULT", Outcome.Guard, "set dapper_tenants.tenant to default"),
        new("SET_LOCAL", Outcome.Guard, "set local dapper_tenants.tenant = 'globex'"),
        new("SET_SESSION_mixed_case", Outcome.Guard, "SeT SESSION Dapper_Tenants.TENANT TO 'globex'"),
        new("set_config_call", Outcome.Guard, "select set_config('dapper_tenants.tenant', 'globex', false)"),
        new("set_config_upper_case_name", Outcome.Guard, "select set_config('DAPPER_TENANTS.TENANT', 'globex', false)"),
        new("set_config_inside_WHERE", Outcome.Guard, "select * from orders where set_config('dapper_tenants.tenant', 'globex', true) is not null"),
        new("set_config_in_a_CTE", Outcome.Guard, "with x as (select set_config('dapper_tenants.tenant', 'globex', true)) select o.* from orders o, x"),
        new("set_config_in_LATERAL", Outcome.Guard, "select o.* from orders o, lateral (select set_config('dapper_tenants.tenant', 'globex', true)) x"),
        new("set_config_with_computed_name", Outcome.Guard, "select set_config(n, 'globex', false) from (select 'dapper_tenants' || '.tenant' as n) s"),
        new("set_config_escaped_string_name", Outcome.Guard, "select set_config(E'dapper_tenants\\x2etenant', 'globex', false)"),
        new("set_config_dollar_quoted_name", Outcome.Guard, "select set_config($q$dapper_tenants.tenant$q$, 'globex', false)"),
        new("DO_block", Outcome.Guard, "do $$ begin perform set_config('dapper_tenants.tenant', 'globex', false); end $$"),
        new("DO_block_then_select", Outcome.Guard, "do $$ begin execute 'set dapper_tenants.tenant = ''globex'''; end $$; select * from orders"),
        new("RESET_setting", Outcome.Guard, "reset dapper_tenants.tenant"),
        new("RESET_ALL", Outcome.Guard, "reset all"),
        new("DISCARD_ALL", Outcome.Guard, "discard all"),
        new("SET_ROLE", Outcome.Guard, "set role postgres"),
        new("SET_SESSION_AUTHORIZATION", Outcome.Guard, "set session authorization postgres"),
        new("set_config_role", Outcome.Guard, "select set_config('role', 'postgres', false)"),
        new("DISABLE_RLS", Outcome.Guard, "alter table orders disable row level security"),
        new("NO_FORCE_RLS", Outcome.Guard, "alter table public.orders no force row level security"),
        new("DROP_POLICY", Outcome.Guard, "drop policy dapper_tenants_isolation on orders"),
        new("ALTER_POLICY", Outcome.Guard, "alter policy dapper_tenants_isolation on orders using (true)"),
        new("CREATE_permissive_POLICY", Outcome.Guard, "create policy see_all on orders using (true)"),
        new("multi_statement_with_SET", Outcome.Guard, "select 1; set dapper_tenants.tenant = 'globex'; select * from orders"),
        new("UPDATE_pg_settings", Outcome.Guard, "update pg_settings set setting = 'globex' where name = 'dapper_tenants.tenant'"),
        new("ALTER_ROLE_SET", Outcome.Guard, "alter role current_user set dapper_tenants.tenant = 'globex'"),
        new("PREPARE_set_config", Outcome.Guard, "prepare p_attack as select set_config('dapper_tenants.tenant', 'globex', false)"),
        new("INSERT_foreign_tenant", Outcome.Guard, "insert into orders (id, tenant, total) values (90001, 'globex', 1)"),
        new("UPDATE_tenant_column", Outcome.Guard, "update orders set tenant = 'globex' where id = 1"),
        new("COPY_FROM", Outcome.Guard, "copy orders from stdin"),
        new("SET_ROLE_through_set_config_in_DO", Outcome.Guard, "do $$ begin perform set_config('role', 'postgres', false); end $$"),
        new("TRUNCATE", Outcome.Refused, "truncate orders") { SqlState = PostgresErrorCodes.InsufficientPrivilege },
        new("upsert_onto_a_foreign_key_value", Outcome.Refused, "insert into orders (id, total) values (101, 1) on conflict (id) do update set note = 'taken'")
        {
            SqlState = PostgresErrorCodes.InsufficientPrivilege,
        },
        new("COPY_TO", Outcome.NpgsqlRefused, "copy orders to stdout"),
        new("WHERE_on_foreign_tenant", Outcome.NoForeignRows, "select * from orders where tenant = 'globex'"),
        new("OR_true", Outcome.NoForeignRows, "select * from orders where true or tenant <> ''"),
        new("comment_hiding_SET", Outcome.NoForeignRows, "select * from orders /* ; set dapper_tenants.tenant = 'globex' */ -- ; reset all"),
        new("string_hiding_SET", Outcome.NoForeignRows, "select 'reset all; set role postgres; discard all' as s, id, tenant from orders"),
        new("PREPARE_EXECUTE", Outcome.NoForeignRows, "prepare p_read as select id, tenant, note from orders; execute p_read; deallocate p_read"),
        new("partition_queried_directly", Outcome.NoForeignRows, "select * from events_rest"),
        new("partitioned_parent", Outcome.NoForeignRows, "select * from events"),
        new("view_owned_by_the_table_owner", Outcome.NoForeignRows, "select * from orders_by_owner"),

        // The owner ran ANALYZE (set-up), so the statistics hold every tenant's values; pg_stats hides them while RLS applies.
        new("system_catalog_statistics", Outcome.NoForeignRows, "select most_common_vals::text from pg_stats where tablename = 'orders'"),
        new("current_setting_read", Outcome.NoForeignRows, "select current_setting('dapper_tenants.tenant') as tenant")
        {
            Before = Before.GlobexLeftItsSettingInTheSession,
            Control = "select current_setting('dapper_tenants.tenant', true)",
        },
        new("view_owned_by_a_superuser", Outcome.KnownLimit, "select * from orders_by_superuser"),
        new("materialized_view", Outcome.KnownLimit, "select * from orders_snapshot"),
        new("SECURITY_DEFINER_function", Outcome.KnownLimit, "select count_all_orders() as n") { Shows = ["10"] },
        new("writing_through_a_foreign_key", Outcome.KnownLimit, "insert into order_lines (id, order_id) values (1, 101)")
        {
            Evidence = "select o.tenant from order_lines l join orders o on o.id = l.order_id where l.id = 1",
            Cleanup = "delete from order_lines where id = 1",
        },
    ];

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await OrdersDatabase.CreateAsync("attack");
        var database = _db.Database;
        await database.ExecuteAsOwnerAsync("""
            create table events (id int, tenant text not null, what text not null, primary key (tenant, id)) partition by list (tenant);
            create table events_a partition of events for values in ('acme');
            create table events_rest partition of events default;
            create table order_lines (id int primary key, order_id int not null references orders (id), tenant text not null);
            create view orders_by_owner as select id, tenant, note from orders;
            """);
        await using (var owner = database.CreateOwnerDataSource())
        {
            await new PolicyInstaller(owner).Add<EventRow>().Add<OrderLine>().GrantTo(database.AppRole).ApplyAsync();
        }

        await database.ExecuteAsAdminAsync($"""
            insert into events values (1, 'acme', 'a'), (2, 'globex', 'g1'), (3, 'initech', 'i1');
            create view orders_by_superuser as select id, tenant, note from orders;
            create materialized view orders_snapshot as select id, tenant, note from orders;
            create function count_all_orders() returns bigint language sql security definer as $$ select count(*) from orders $$;
            grant select on orders_by_superuser, orders_snapshot to "{database.AppRole}";
            grant execute on function count_all_orders() to "{database.AppRole}";
            """);
        await database.ExecuteAsOwnerAsync("analyze orders");
        _tenants = _db.CreateTenants();
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        lock (Tried)
        {
            var counts = string.Join(", ", Enum.GetValues<Outcome>().Select(o => $"{o} {Tried.GetValueOrDefault(o)}"));
            TestContext.Progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"attack statements tried: {Tried.Values.Sum()} ({counts}); foreign values seen: {_foreignRowsInLimits} in the known limits, {_foreignRowsOutsideLimits} outside them"));
        }

        await _tenants.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await _db.DisposeAsync();
    }

    [Rls("events")]
    public sealed class EventRow
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }

    [Rls("order_lines")]
    public sealed class OrderLine
    {
        public int Id { get; set; }

        public string Tenant { get; set; } = "";
    }

    private static IEnumerable<TestCaseData> Attacks() => Cases.Select(c => new TestCaseData(c).SetName($"Attack_{c.Name}_{c.Expected}"));

    [TestCaseSource(nameof(Attacks))]
    public async Task Attack(AttackCase attack)
    {
        lock (Tried)
        {
            Tried[attack.Expected] = Tried.GetValueOrDefault(attack.Expected) + 1;
        }

        try
        {
            await AttackAsync(attack);
        }
        finally
        {
            if (attack.Cleanup is not null)
            {
                await _db.Database.ExecuteAsAdminAsync(attack.Cleanup);
            }
        }

        var all = await _db.AllOrdersAsync();
        all.Where(o => o.Tenant != OrdersDatabase.Acme && o.Id < 10_000).Select(o => (o.Id, o.Tenant, o.Note))
            .ShouldBe([(101, "globex", "g1"), (102, "globex", "g2"), (103, "globex", "g3"), (201, "initech", "i1"), (202, "initech", "i2")],
                "the other tenants' rows are intact");
    }

    private async Task AttackAsync(AttackCase attack)
    {
        await using var ownPool = attack.Before == Before.GlobexLeftItsSettingInTheSession
            ? _db.CreateTenants(b => (b.MaxPoolSize, b.NoResetOnClose) = (1, true))
            : null;
        var tenants = ownPool ?? _tenants;
        int? globexSession = null;
        if (attack.Before == Before.GlobexLeftItsSettingInTheSession)
        {
            await using var globex = await tenants.OpenAsync(OrdersDatabase.Globex);
            globexSession = globex.InnerConnection.ProcessID;
            await globex.InnerConnection.ExecuteAsync("select set_config('dapper_tenants.tenant', 'globex', false)");
        }

        await using var acme = await tenants.OpenAsync(OrdersDatabase.Acme);
        if (attack.Expected == Outcome.NoForeignRows)
        {
            // The positive control: without the policies (or, for a session-level leftover, without acme's context)
            // the same read shows a foreign value.
            var control = globexSession is null
                ? await ReadAsAdminAsync(attack.Control ?? attack.Sql)
                : [await acme.InnerConnection.ExecuteScalarAsync<string>(attack.Control!) ?? string.Empty];
            if (globexSession is not null)
            {
                acme.InnerConnection.ProcessID.ShouldBe(globexSession.Value, "acme's lease got the server session globex left its setting on");
            }

            Foreign(control).ShouldNotBeEmpty($"the control must show a foreign value, or the check after '{attack.Sql}' could not fail");
        }

        var (values, error) = await RunAsync(acme, attack.Sql);
        var foreign = Foreign(values);
        if (attack.Expected == Outcome.KnownLimit)
        {
            Interlocked.Add(ref _foreignRowsInLimits, foreign.Count);
        }
        else
        {
            Interlocked.Add(ref _foreignRowsOutsideLimits, foreign.Count);
        }

        switch (attack.Expected)
        {
            case Outcome.Guard:
                error.ShouldBeOfType<TenantGuardException>($"the guard must refuse: {attack.Sql}");
                break;
            case Outcome.Refused:
                var refused = error.ShouldBeOfType<PostgresException>($"the server must refuse: {attack.Sql}");
                refused.SqlState.ShouldBe(attack.SqlState ?? refused.SqlState, refused.MessageText);
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
                error.ShouldBeNull($"{attack.Sql} should run");
                if (attack.Shows is not null)
                {
                    values.ShouldBe(attack.Shows, "a SECURITY DEFINER function owned by a superuser counts every tenant's orders");
                }
                else if (attack.Evidence is not null)
                {
                    Foreign(await ReadAsAdminAsync(attack.Evidence)).ShouldNotBeEmpty("PostgreSQL applies no policy here: a documented limit");
                }
                else
                {
                    foreign.ShouldNotBeEmpty("PostgreSQL applies no policy here: a documented limit");
                }

                break;
        }

        // Whatever happened, acme still runs as acme: on the same lease, or, where Npgsql broke the connection, on the next.
        if (acme.State != System.Data.ConnectionState.Open)
        {
            attack.Expected.ShouldBe(Outcome.NpgsqlRefused, $"only Npgsql's refusal breaks the connection, but '{attack.Sql}' left it {acme.State}");
            await using var next = await tenants.OpenAsync(OrdersDatabase.Acme);
            (await next.QueryAsync<string>("select distinct tenant from orders")).ShouldBe([OrdersDatabase.Acme]);
        }
        else
        {
            (await acme.QueryAsync<string>("select distinct tenant from orders")).ShouldBe([OrdersDatabase.Acme]);
        }
    }

    /// <summary>Runs <paramref name="sql"/> as the superuser, whose session says it is globex: RLS does not apply to it, but
    /// objects that apply the policy as their owner (a view of the table owner) see the caller's setting.</summary>
    private async Task<List<string>> ReadAsAdminAsync(string sql)
    {
        await using var admin = new NpgsqlConnection(_db.Database.AdminConnectionString);
        await admin.OpenAsync();
        await admin.ExecuteAsync("select set_config('dapper_tenants.tenant', 'globex', false)");
        var (values, error) = await RunAsync(admin, sql);
        error.ShouldBeNull();
        return values;
    }

    private static async Task<(List<string> Values, Exception? Error)> RunAsync(System.Data.Common.DbConnection connection, string sql)
    {
        var values = new List<string>();
        try
        {
            await using var reader = await connection.ExecuteReaderAsync(sql);
            do
            {
                while (await reader.ReadAsync())
                {
                    for (var i = 0; i < reader.FieldCount; i++)
                    {
                        values.Add(Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? string.Empty);
                    }
                }
            }
            while (await reader.NextResultAsync());
            return (values, null);
        }
        catch (Exception ex)
        {
            return (values, ex);
        }
    }

    private static List<string> Foreign(IEnumerable<string> values) => values.Where(v => ForeignValues.Any(f => v.Contains(f, StringComparison.Ordinal))).ToList();
}
