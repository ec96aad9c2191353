using System.Data;
using System.Data.Common;
using System.Globalization;
using DapperTenants.Guard;
using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Guard;

/// <summary>
/// The database as oracle: thousands of generated writes run for real as the application login, with the guard off,
/// while the guard judges the same text and parameters on the side. Every statement PostgreSQL refuses for a wrong
/// tenant (42501) and whose tenant values are constants or parameters must have been refused by the guard; no
/// statement PostgreSQL accepts may have been.
/// </summary>
[Category(Categories.Database)]
public sealed class GuardOracleTests
{
    private const int Seed = 20_240_611;
    private const int Statements = 4_000;

    private TestDatabase _database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _database = await TestServer.CreateDatabaseAsync("guard_oracle");
        await OracleSchema.CreateAsync(_database);
    }

    [OneTimeTearDown]
    public async Task DropDatabase() => await _database.DisposeAsync();

    [Test]
    public void The_database_confirms_every_verdict()
    {
        using var tenants = _database.CreateTenantDataSource(configureOptions: o => o.GuardMode = TenantGuardMode.Off);
        var sessions = new Dictionary<string, (TenantConnection Connection, DbTransaction Transaction)>();
        foreach (var table in OracleCorpus.Tables.DistinctBy(t => t.Key))
        {
            var connection = tenants.Open(table.Tenant);
            sessions[table.Key] = (connection, connection.BeginTransaction());
        }

        try
        {
            var tally = Run(tenants, sessions);
            TestContext.Out.WriteLine(tally.Report());
            tally.FalseNegatives.ShouldBeEmpty("The database refused these for a wrong tenant, but the guard let them through:\n" + string.Join("\n", tally.FalseNegatives.Take(10)));
            tally.FalsePositives.ShouldBeEmpty("The database accepted these, but the guard refused them:\n" + string.Join("\n", tally.FalsePositives.Take(10)));

            // The corpus must exercise both sides, or the two checks above prove nothing.
            tally.Accepted.ShouldBeGreaterThan(Statements / 4);
            tally.KnownWrongTenant.ShouldBeGreaterThan(Statements / 4);
        }
        finally
        {
            foreach (var (connection, transaction) in sessions.Values)
            {
                transaction.Dispose();
                connection.Dispose();
            }
        }
    }

    private static OracleTally Run(TenantDataSource tenants, Dictionary<string, (TenantConnection Connection, DbTransaction Transaction)> sessions)
    {
        // The data source runs with the guard off (the database must see every statement); the side guard judges them all.
        var guard = new TenantGuard(GuardOptions.From(tenants.Options), enabled: true, surfaceFailures: true);
        var catalog = tenants.Catalog!;
        var corpus = new OracleCorpus(Seed);
        var tally = new OracleTally();
        for (var n = 0; n < Statements; n++)
        {
            var statement = corpus.Next();
            var (connection, transaction) = sessions[statement.Table.Key];

            string? refusal = null;
            using (var sideCommand = new NpgsqlCommand())
            {
                AddParameters(sideCommand.Parameters, statement);
                try
                {
                    guard.Analyze(statement.Sql, CommandType.Text, catalog).Plan.Evaluate(sideCommand.Parameters, new GuardContext(connection.Tenant, SessionOutlivesLease: false));
                }
                catch (TenantGuardException ex)
                {
                    refusal = ex.Message;
                }
            }

            Execute(connection, transaction, "savepoint oracle");
            string? sqlState = null;
            try
            {
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = statement.Sql;
                AddParameters((NpgsqlParameterCollection)command.Parameters, statement);
                command.ExecuteNonQuery();
            }
            catch (PostgresException ex)
            {
                sqlState = ex.SqlState;
            }

            Execute(connection, transaction, "rollback to savepoint oracle");
            tally.Add(statement, sqlState, refusal);
        }

        return tally;
    }

    private static void AddParameters(NpgsqlParameterCollection parameters, OracleCase statement)
    {
        foreach (var (name, value) in statement.Parameters)
        {
            parameters.Add(name is null ? new NpgsqlParameter { Value = value } : new NpgsqlParameter(name, value));
        }
    }

    private static void Execute(TenantConnection connection, DbTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private sealed class OracleTally
    {
        private readonly Dictionary<string, int> _states = [];
        private readonly Dictionary<string, (int Total, int Refused)> _shapes = [];

        public int Total { get; private set; }

        public int Accepted { get; private set; }

        public int WrongTenant { get; private set; }

        public int KnownWrongTenant { get; private set; }

        public int GuardRefused { get; private set; }

        public List<string> FalseNegatives { get; } = [];

        public List<string> FalsePositives { get; } = [];

        public void Add(OracleCase statement, string? sqlState, string? refusal)
        {
            Total++;
            GuardRefused += refusal is null ? 0 : 1;
            var state = sqlState ?? "accepted";
            _states[state] = _states.GetValueOrDefault(state) + 1;
            var shape = _shapes.GetValueOrDefault(statement.Shape);
            _shapes[statement.Shape] = (shape.Total + 1, shape.Refused + (refusal is null ? 0 : 1));
            var described = $"[{statement.Table.Key}, tenant '{statement.Table.Tenant}'] {statement.Sql.ReplaceLineEndings(" ")}"
                + (statement.Parameters.Count == 0 ? "" : " -- " + string.Join(", ", statement.Parameters.Select(p => $"{p.Name ?? "$"}={Show(p.Value)}")));
            if (sqlState is null)
            {
                Accepted++;
                if (refusal is not null)
                {
                    FalsePositives.Add(described + " => " + refusal);
                }
            }
            else if (sqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                WrongTenant++;
                if (statement.AllKnown)
                {
                    KnownWrongTenant++;
                    if (refusal is null)
                    {
                        FalseNegatives.Add(described);
                    }
                }
            }
        }

        public string Report() =>
            $"Guard oracle (seed {Seed}): {Total} statements. The database accepted {Accepted} and refused {WrongTenant} for a wrong tenant (42501); "
            + $"{KnownWrongTenant} of those wrote the wrong tenant as a constant or parameter. The guard refused {GuardRefused}. "
            + $"False negatives: {FalseNegatives.Count}. False positives: {FalsePositives.Count}.\n"
            + "Database outcomes: " + string.Join(", ", _states.OrderByDescending(s => s.Value).Select(s => $"{s.Key} {s.Value}")) + "\n"
            + "Shapes (statements/guard refusals): " + string.Join(", ", _shapes.Select(s => $"{s.Key} {s.Value.Total}/{s.Value.Refused}"));

        private static string Show(object? value) => value switch
        {
            string s => "'" + s + "'",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value?.ToString() ?? "null",
        };
    }
}
