using System.Data;
using DapperTenants.Guard;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Guard;

/// <summary>
/// The false-positive standard: no legitimate command of the application corpus is refused with the default options;
/// where the session outlives the lease, only the commands that leave session state are, and the count of each kind
/// is reported.
/// </summary>
[Category(Categories.Unit)]
public sealed class GuardCorpusTests
{
    [Test]
    public void No_legitimate_command_is_refused()
    {
        var (statements, refusals) = Run(sessionOutlivesLease: false);
        TestContext.Out.WriteLine($"application corpus: {ApplicationCorpus.Commands().Count} commands, {statements} statements, {refusals.Count} refused");
        refusals.ShouldBeEmpty(string.Join("\n", refusals.Select(r => $"{r.Kind}: {r.Sql}")));
        statements.ShouldBeGreaterThan(300);
    }

    [Test]
    public void Where_the_session_outlives_the_lease_only_session_state_is_refused()
    {
        var (_, refusals) = Run(sessionOutlivesLease: true);
        var byKind = refusals.GroupBy(r => r.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        foreach (var kind in byKind)
        {
            TestContext.Out.WriteLine($"{kind.Key}: {kind.Count()}");
        }

        // The corpus holds these on purpose: legitimate on a session that is reset at close, refused on one that is not.
        byKind.ToDictionary(g => g.Key, g => g.Count()).ShouldBe(new Dictionary<string, int>
        {
            ["CREATE TEMP TABLE"] = 3,
            ["DECLARE WITH HOLD"] = 1,
            ["LISTEN"] = 1,
            ["PREPARE"] = 1,
            ["SELECT INTO"] = 1,
            ["SET"] = 5,
            ["pg_advisory_lock"] = 1,
            ["set_config"] = 1,
        });
    }

    private static (int Statements, List<(string Kind, string Sql)> Refusals) Run(bool sessionOutlivesLease)
    {
        var guard = new TenantGuard(new GuardOptions(TenantOptions.DefaultSettingName), enabled: true, surfaceFailures: true);
        var statements = 0;
        var refusals = new List<(string, string)>();
        foreach (var sql in ApplicationCorpus.Commands())
        {
            using var command = new NpgsqlCommand();
            ApplicationCorpus.Bind(command.Parameters, sql);
            var text = guard.Analyze(sql, CommandType.Text, ApplicationCorpus.Catalog);
            statements += text.StatementCount;
            try
            {
                text.Plan.Evaluate(command.Parameters, new GuardContext("acme", sessionOutlivesLease));
            }
            catch (TenantGuardException ex)
            {
                refusals.Add((ex.StatementKind!, sql));
            }
        }

        return (statements, refusals);
    }
}
