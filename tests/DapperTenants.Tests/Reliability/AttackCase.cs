namespace DapperTenants.Tests.Reliability;

/// <summary>One attack of <see cref="AttackTests"/>: what acme sends, and what must happen in each mode.</summary>
/// <param name="Name">The test name's middle part.</param>
/// <param name="Expected">Who stops it, or what it shows, in the unsigned default mode (guard on).</param>
/// <param name="Sql">The statement acme's tenant connection sends (for <see cref="AttackTests.Via.StoredProcedure"/> the procedure's name).</param>
public sealed record AttackCase(string Name, AttackTests.Outcome Expected, string Sql)
{
    /// <summary>The outcome with a signing key and the guard on; <see cref="Expected"/> unless set.</summary>
    public AttackTests.Outcome? WithSignedContext { get; init; }

    /// <summary>
    /// The outcome with a signing key and the guard off (<see cref="TenantGuardMode.Off"/>): unless set,
    /// <see cref="AttackTests.Outcome.NoForeignRows"/> where the guard refuses it in the default mode, else <see cref="Expected"/>.
    /// </summary>
    public AttackTests.Outcome? WithGuardOff { get; init; }

    /// <summary>
    /// The attack works against an undefended connection (a tenant switch, an oracle): run by acme with neither the guard
    /// nor the signed context (the unsigned database, <see cref="TenantGuardMode.Off"/>) it must show a foreign value.
    /// That run is the positive control of every mode.
    /// </summary>
    public bool Undefended { get; init; }

    /// <summary>
    /// The positive control of an attack on the signed context, run in the signed modes on acme's lease of the signed
    /// database with the guard off: it must show a foreign value (for a forged token: the same attack with a valid one).
    /// </summary>
    public Func<AttackRun, Task<List<string>>>? SignedControl { get; init; }

    /// <summary>For a guard refusal: the <see cref="TenantGuardException.StatementKind"/> it must name.</summary>
    public string? Kind { get; init; }

    /// <summary>A fragment the server's refusal must contain in its message text.</summary>
    public string? Says { get; init; }

    /// <summary>A fragment the guard's refusal must contain in its message.</summary>
    public string? GuardSays { get; init; }

    /// <summary>For <see cref="AttackTests.Outcome.Refused"/>: the SQLSTATE the server must answer with.</summary>
    public string? SqlState { get; init; }

    /// <summary>For <see cref="AttackTests.Outcome.Refused"/> with the guard off, when it differs from <see cref="SqlState"/>.</summary>
    public string? GuardOffSqlState { get; init; }

    /// <summary>Caller parameters for Dapper: an anonymous object or <c>DynamicParameters</c> (converted for the ADO.NET paths).</summary>
    public object? Parameters { get; init; }

    /// <summary>The execution path the statement takes.</summary>
    public AttackTests.Via Via { get; init; }

    /// <summary>What runs before the attack.</summary>
    public AttackTests.Before Before { get; init; }

    /// <summary>For <see cref="AttackTests.Before.GlobexRanFirst"/>: the SQL globex's lease runs on the server session acme gets next.</summary>
    public string? Globex { get; init; }

    /// <summary>For <see cref="AttackTests.Before.GlobexRanFirst"/>: how the two leases share a server session.</summary>
    public AttackTests.Pool Pool { get; init; }

    /// <summary>
    /// An attack that is more than one statement: run instead of <see cref="Sql"/> (which then describes it), returning the
    /// values acme read. Exceptions count as the attack's error.
    /// </summary>
    public Func<AttackRun, Task<List<string>>>? Script { get; init; }

    /// <summary>
    /// For <see cref="AttackTests.Outcome.NoForeignRows"/>: SQL that must show a foreign value beforehand (as the
    /// superuser with globex's context; with <see cref="Before"/>, on acme's unguarded inner connection). Defaults to
    /// <see cref="Sql"/>; an empty string means the case's control is its <see cref="Undefended"/> run or its outcome in another mode.
    /// </summary>
    public string? Control { get; init; }

    /// <summary>For <see cref="AttackTests.Outcome.KnownLimit"/>: the exact values the statement returns.</summary>
    public IReadOnlyList<string>? Shows { get; init; }

    /// <summary>For <see cref="AttackTests.Outcome.KnownLimit"/> writes: SQL run as the superuser afterwards that shows the foreign value reached.</summary>
    public string? Evidence { get; init; }

    /// <summary>SQL run as the superuser after the attack, pass or fail, to leave the database as it was.</summary>
    public string? Cleanup { get; init; }

    /// <summary>Whether the path only exists asynchronously (Npgsql multiplexing).</summary>
    public bool AsyncOnly => Pool == AttackTests.Pool.Multiplexing;

    /// <summary>The expected outcome in <paramref name="mode"/>.</summary>
    public AttackTests.Outcome In(AttackMode mode) => mode switch
    {
        AttackMode.RawSetting => Expected,
        AttackMode.SignedContext => WithSignedContext ?? Expected,
        _ => WithGuardOff ?? (Expected == AttackTests.Outcome.Guard ? AttackTests.Outcome.NoForeignRows : Expected),
    };

    public override string ToString() => Name;
}
