namespace DapperTenants.Tests.Reliability;

/// <summary>One attack of <see cref="AttackTests"/>: what acme sends, and what must happen.</summary>
/// <param name="Name">The test name's middle part.</param>
/// <param name="Expected">Who stops it, or what it shows.</param>
/// <param name="Sql">The statement acme's tenant connection sends.</param>
public sealed record AttackCase(string Name, AttackTests.Outcome Expected, string Sql)
{
    /// <summary>For <see cref="AttackTests.Outcome.Refused"/>: the SQLSTATE the server must answer with.</summary>
    public string? SqlState { get; init; }

    /// <summary>What runs before the attack.</summary>
    public AttackTests.Before Before { get; init; }

    /// <summary>
    /// For <see cref="AttackTests.Outcome.NoForeignRows"/>: SQL that must show a foreign value beforehand (as the
    /// superuser; with <see cref="Before"/>, on acme's unguarded inner connection). Defaults to <see cref="Sql"/>.
    /// </summary>
    public string? Control { get; init; }

    /// <summary>For <see cref="AttackTests.Outcome.KnownLimit"/>: the exact values the statement returns.</summary>
    public IReadOnlyList<string>? Shows { get; init; }

    /// <summary>For <see cref="AttackTests.Outcome.KnownLimit"/> writes: SQL run as the superuser afterwards that shows the foreign value reached.</summary>
    public string? Evidence { get; init; }

    /// <summary>SQL run as the superuser after the attack, pass or fail, to leave the database as it was.</summary>
    public string? Cleanup { get; init; }

    public override string ToString() => Name;
}
