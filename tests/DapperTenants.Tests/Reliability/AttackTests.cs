using System.Globalization;
using System.Transactions;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Reliability;

/// <summary>
/// Attempts, through a tenant connection for acme, to reach globex's or initech's rows, in three modes: the unsigned
/// default, the signed context, and the signed context with the guard off. Each attack has its expected outcome per
/// mode: the guard refuses it, the database refuses it, Npgsql refuses it, or it runs and shows no foreign row. Where
/// PostgreSQL itself lets one through (objects owned by a role that bypasses RLS, foreign-key checks, large objects),
/// or where only the guard stands in the way (session state on pools that do not reset, EXPLAIN ANALYZE), the test pins
/// that down as a documented limit, listed in the README.
/// </summary>
/// <remarks>
/// <para>
/// To add an attack, add one entry to a case list (<see cref="Cases"/>). Positive controls prove that each check could
/// fail: a case that expects no foreign rows runs its SQL (or its <see cref="AttackCase.Control"/>) first as the
/// superuser with globex's context, which must show a foreign value; a tenant switch (<see cref="AttackCase.Undefended"/>)
/// runs first with neither the guard nor the signed context, where it must reach globex's rows.
/// </para>
/// <para>Every attack runs through Dapper's synchronous and asynchronous API (multiplexing: asynchronous only).</para>
/// </remarks>
[Category(Categories.Database)]
[NonParallelizable]
[TestFixture(AttackMode.RawSetting)]
[TestFixture(AttackMode.SignedContext)]
[TestFixture(AttackMode.SignedContextGuardOff)]
public partial class AttackTests(AttackMode mode)
{
    private static readonly string[] ForeignValues = ["globex", "initech", "g1", "g2", "g3", "i1", "i2", Hex("globex"), Hex("initech")];
    private static readonly Dictionary<AttackMode, Dictionary<string, Outcome>> Tried = [];
    private static readonly Dictionary<AttackMode, (int InLimits, int Outside)> ForeignSeen = [];

    private AttackDatabase _unsigned = null!;
    private AttackDatabase? _signed;
    private TenantDataSource _tenants = null!;
    private TenantDataSource _bare = null!;
    private TenantDataSource? _signedBare;
    private PgBouncer? _bouncer;

    public enum Outcome
    {
        /// <summary>The guard throws <see cref="TenantGuardException"/> before anything is sent.</summary>
        Guard,

        /// <summary>The server refuses the statement with a <see cref="PostgresException"/> that shows no foreign value.</summary>
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

        /// <summary>
        /// With the guard off it reaches foreign data even under the signed context: only the guard stands in the way
        /// (state a session keeps for the next lease, EXPLAIN ANALYZE). A documented limit of turning the guard off.
        /// </summary>
        OnlyTheGuardStops,
    }

    /// <summary>What runs before the attack.</summary>
    public enum Before
    {
        /// <summary>Nothing: the attack runs on a lease of the mode's shared data source.</summary>
        Nothing,

        /// <summary>
        /// A globex lease leaves its context value (the tenant, or its token) at session level on the only server session
        /// of a pool that never resets (<c>No Reset On Close</c>); acme's lease then gets that very session.
        /// </summary>
        GlobexLeftItsSettingInTheSession,

        /// <summary>
        /// A globex lease runs <see cref="AttackCase.Globex"/> through its tenant connection (guard as the mode says), then
        /// acme's lease gets the same server session (<see cref="AttackCase.Pool"/> says how) and runs the attack.
        /// </summary>
        GlobexRanFirst,
    }

    /// <summary>How globex's and acme's leases share one server session.</summary>
    public enum Pool
    {
        /// <summary>A pool of one with Npgsql's default reset (<c>DISCARD ALL</c>) between leases.</summary>
        ResetOnClose,

        /// <summary>A pool of one with <c>No Reset On Close</c>.</summary>
        NoResetOnClose,

        /// <summary>A pool of one with <c>Multiplexing</c> (asynchronous only).</summary>
        Multiplexing,

        /// <summary>
        /// Two application instances (two data sources, reset on close as Npgsql defaults) behind one PgBouncer in
        /// transaction mode with one server connection, without <see cref="TenantOptions.BehindTransactionPooler"/>.
        /// </summary>
        PgBouncer,

        /// <summary>The same, with <see cref="TenantOptions.BehindTransactionPooler"/> declared.</summary>
        PgBouncerDeclared,

        /// <summary>A pool of one, both leases inside one <see cref="TransactionScope"/> (Npgsql hands the second the same enlisted session).</summary>
        TransactionScope,
    }

    /// <summary>The execution path an attack's statement takes.</summary>
    public enum Via
    {
        /// <summary>Dapper's <c>ExecuteReader</c>: every result of every statement is read.</summary>
        Reader,

        /// <summary>Dapper's <c>Query</c> (buffered, dynamic rows).</summary>
        Query,

        /// <summary>Dapper's <c>Execute</c> (<c>ExecuteNonQuery</c>); the value is the affected row count.</summary>
        Execute,

        /// <summary>Dapper's <c>ExecuteScalar</c>.</summary>
        Scalar,

        /// <summary>Dapper with <c>CommandType.StoredProcedure</c>; the SQL is the procedure's name.</summary>
        StoredProcedure,

        /// <summary>A <c>DbBatch</c> of the connection; the SQL's statements (split at ";\n") are its commands, each with every parameter.</summary>
        Batch,

        /// <summary>A command prepared with <c>Prepare()</c>, executed twice.</summary>
        Prepared,

        /// <summary>A command with unnamed (positional, <c>$1</c>) parameters in declaration order.</summary>
        Positional,

        /// <summary>The documented escape hatch: <see cref="TenantConnection.InnerConnection"/>, unguarded.</summary>
        InnerConnection,
    }

    /// <summary>Every attack, in the order of the README's groups.</summary>
    public static IEnumerable<AttackCase> Cases => [.. SettingCases, .. ReadCases, .. LimitCases, .. ParameterCases, .. HiddenSqlCases, .. SessionCases, .. MoreCases, .. TokenCases, .. OracleCases, .. ScopeCases];

    private AttackDatabase Db => _signed ?? _unsigned;

    [OneTimeSetUp]
    public async Task CreateDatabases()
    {
        _unsigned = await AttackDatabase.CreateAsync("attack", signedContext: false);
        if (mode != AttackMode.RawSetting)
        {
            _signed = await AttackDatabase.CreateAsync("attack_signed", signedContext: true);
        }

        _tenants = Tenants();
        _bare = _unsigned.CreateTenants(options: o => o.GuardMode = TenantGuardMode.Off);
        _signedBare = _signed?.CreateTenants(options: o => o.GuardMode = TenantGuardMode.Off);
    }

    [OneTimeTearDown]
    public async Task DropDatabases()
    {
        lock (Tried)
        {
            var cases = Tried.GetValueOrDefault(mode) ?? [];
            var counts = string.Join(", ", Enum.GetValues<Outcome>().Select(o => $"{o} {cases.Values.Count(v => v == o)}"));
            var (inLimits, outside) = ForeignSeen.GetValueOrDefault(mode);
            TestContext.Progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"attack statements tried ({Describe(mode)}): {cases.Count} ({counts}); foreign values seen: {inLimits} in the documented limits, {outside} outside them"));
        }

        await _tenants.DisposeAsync();
        await _bare.DisposeAsync();
        if (_signedBare is not null)
        {
            await _signedBare.DisposeAsync();
        }

        NpgsqlConnection.ClearAllPools();
        if (_bouncer is not null)
        {
            await _bouncer.DisposeAsync();
        }

        await _unsigned.DisposeAsync();
        if (_signed is not null)
        {
            await _signed.DisposeAsync();
        }
    }

    /// <summary>The mode as the log line names it.</summary>
    public static string Describe(AttackMode mode) => mode switch
    {
        AttackMode.RawSetting => "unsigned",
        AttackMode.SignedContext => "signed",
        _ => "signed, guard off",
    };

    private static IEnumerable<TestCaseData> Attacks() => Cases.SelectMany(c =>
        (c.AsyncOnly ? [SyncOrAsync.Async] : Enum.GetValues<SyncOrAsync>()).Select(way => new TestCaseData(c, way).SetName($"Attack_{c.Name}_{way}")));

    [TestCaseSource(nameof(Attacks))]
    public async Task Attack(AttackCase attack, SyncOrAsync way)
    {
        var expected = attack.In(mode);
        lock (Tried)
        {
            (Tried.TryGetValue(mode, out var cases) ? cases : Tried[mode] = [])[attack.Name] = expected;
        }

        var sync = way == SyncOrAsync.Sync;
        try
        {
            if (attack.Undefended)
            {
                await UndefendedControlAsync(attack, sync);
            }

            if (attack.SignedControl is not null && _signedBare is not null)
            {
                await using var acme = sync ? _signedBare.Open(OrdersDatabase.Acme) : await _signedBare.OpenAsync(OrdersDatabase.Acme);
                var values = await attack.SignedControl(new AttackRun { Acme = acme, Tenants = _signedBare, Db = _signed!, Sync = sync, GuardOff = true });
                Foreign(values).ShouldNotBeEmpty($"the control of '{attack.Name}' must reach another tenant's rows under the signed context, or the check could not fail");
            }

            await AttackAsync(attack, expected, sync);
        }
        finally
        {
            if (attack.Cleanup is not null)
            {
                foreach (var db in new[] { _unsigned, _signed }.OfType<AttackDatabase>())
                {
                    await db.Database.ExecuteAsAdminAsync(attack.Cleanup.Replace("{app}", db.Database.AppRole, StringComparison.Ordinal));
                }
            }
        }

        foreach (var db in new[] { _unsigned, _signed }.OfType<AttackDatabase>())
        {
            var all = await db.AllOrdersAsync();
            all.Where(o => o.Tenant != OrdersDatabase.Acme && o.Id < 10_000).Select(o => (o.Id, o.Tenant, o.Note))
                .ShouldBe([(101, "globex", "g1"), (102, "globex", "g2"), (103, "globex", "g3"), (201, "initech", "i1"), (202, "initech", "i2")],
                    "the other tenants' rows are intact");
            all.Where(o => o.Tenant == OrdersDatabase.Acme).Select(o => o.Id).ShouldBe(AttackDatabase.AcmeOrders, "acme's own rows are as they were (add a Cleanup)");
        }
    }

    /// <summary>
    /// The positive control of an attack on an undefended connection: with neither the guard nor the signed context (the
    /// unsigned database, <see cref="TenantGuardMode.Off"/>), the same attack reaches globex's data.
    /// </summary>
    private async Task UndefendedControlAsync(AttackCase attack, bool sync)
    {
        await using var acme = sync ? _bare.Open(OrdersDatabase.Acme) : await _bare.OpenAsync(OrdersDatabase.Acme);
        var (values, error) = await RunAsync(attack, acme, _bare, _unsigned, sync, guardOff: true);
        Foreign(values).ShouldNotBeEmpty(
            $"without the guard and the signed context '{attack.Sql}' must reach another tenant's data (error: {error?.Message}); otherwise the check could not fail");
    }

    private TenantDataSource Tenants(Action<NpgsqlConnectionStringBuilder>? connection = null, Action<TenantOptions>? options = null) =>
        Db.CreateTenants(connection, o =>
        {
            if (mode == AttackMode.SignedContextGuardOff)
            {
                o.GuardMode = TenantGuardMode.Off;
            }

            options?.Invoke(o);
        });

    private static Task<(List<string> Values, Exception? Error)> RunAsync(AttackCase attack, TenantConnection acme, TenantDataSource tenants, AttackDatabase db, bool sync, bool guardOff)
    {
        if (attack.Script is null)
        {
            return AttackExecution.RunAsync(acme, attack.Sql, attack.Parameters is Func<object> fresh ? fresh() : attack.Parameters, attack.Via, sync);
        }

        return Scripted(attack.Script, new AttackRun { Acme = acme, Tenants = tenants, Db = db, Sync = sync, GuardOff = guardOff });

        static async Task<(List<string>, Exception?)> Scripted(Func<AttackRun, Task<List<string>>> script, AttackRun run)
        {
            try
            {
                return (await script(run), null);
            }
            catch (Exception ex) when (ex is not Shouldly.ShouldAssertException)
            {
                return ([], ex);
            }
        }
    }

    private static string Hex(string text) => Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(text));

    private static List<string> Foreign(IEnumerable<string?> values) =>
        values.OfType<string>().Where(v => ForeignValues.Any(f => v.Contains(f, StringComparison.Ordinal))).ToList();
}
