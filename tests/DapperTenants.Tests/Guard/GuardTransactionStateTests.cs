using System.Data;
using DapperTenants.Guard;
using DapperTenants.Tests.Support;
using static DapperTenants.Tests.Guard.GuardHarness;

namespace DapperTenants.Tests.Guard;

/// <summary>
/// State that lives until the end of the transaction (a cursor, a temporary table ON COMMIT DROP): refused only where the
/// transaction outlives the lease, a connection enlisted in a TransactionScope, whose server transaction Npgsql hands to
/// the next connection opened in the same scope. The attack suite's TransactionScope cases read another tenant's rows
/// through both before this refusal existed.
/// </summary>
[Category(Categories.Unit)]
public sealed class GuardTransactionStateTests
{
    private const string InScope = "this connection is enlisted in a TransactionScope, whose server transaction Npgsql hands to the next "
        + "connection opened in the same scope, so a later lease, for another tenant too, could find it before the scope ends.";

    private static readonly object[] Cases =
    [
        new object[] { "declare c cursor for select * from orders", "DECLARE" },
        new object[] { "DECLARE c SCROLL CURSOR WITHOUT HOLD FOR SELECT 1", "DECLARE" },
        new object[] { "begin; declare c binary cursor for select id from orders; fetch 1 from c", "DECLARE" },
        new object[] { "create temp table t on commit drop as select * from orders", "CREATE TEMP TABLE" },
        new object[] { "create temporary table if not exists t (id int) on commit drop", "CREATE TEMP TABLE" },
        new object[] { "create table pg_temp.orders (id int, tenant text) on commit drop", "CREATE TEMP TABLE" },
        new object[] { "fetch all from c", "pass" },
        new object[] { "create table report (id int)", "pass" },
        new object[] { "select 'declare c cursor for select 1'", "pass" },
    ];

    [TestCaseSource(nameof(Cases))]
    public void Transaction_state_is_refused_only_when_the_transaction_outlives_the_lease(string sql, string expected)
    {
        var guard = NewGuard();
        Verdict(guard, sql, sessionOutlivesLease: true, transactionOutlivesLease: true).ShouldBe(expected);
        Verdict(guard, sql, sessionOutlivesLease: true, transactionOutlivesLease: false).ShouldBe("pass");
        Verdict(guard, sql, sessionOutlivesLease: false, transactionOutlivesLease: false).ShouldBe("pass");
    }

    [Test]
    public void A_cursor_declared_in_a_TransactionScope_is_refused_with_the_reason_and_the_fix() =>
        Message(NewGuard(), "declare c cursor for select * from orders").ShouldBe(
            $"DECLARE was refused: it leaves a cursor in the server transaction, and {InScope} "
            + "Read the rows into the application, or use a TenantTransaction (BeginTransaction) outside the TransactionScope.");

    [Test]
    public void A_temporary_table_dropped_at_commit_in_a_TransactionScope_is_refused_with_the_reason_and_the_fix() =>
        Message(NewGuard(), "create temp table t (id int) on commit drop").ShouldBe(
            "CREATE TEMP TABLE was refused: it leaves a temporary table (ON COMMIT DROP drops it only when the scope's transaction ends) "
            + $"in the server transaction, and {InScope} "
            + "Use a regular table with a tenant column, or a TenantTransaction (BeginTransaction) outside the TransactionScope.");

    private static string Verdict(TenantGuard guard, string sql, bool sessionOutlivesLease, bool transactionOutlivesLease)
    {
        try
        {
            Evaluate(guard, sql, sessionOutlivesLease, transactionOutlivesLease);
            return "pass";
        }
        catch (TenantGuardException ex)
        {
            return ex.StatementKind ?? string.Empty;
        }
    }

    private static string? Message(TenantGuard guard, string sql)
    {
        try
        {
            Evaluate(guard, sql, sessionOutlivesLease: true, transactionOutlivesLease: true);
            return null;
        }
        catch (TenantGuardException ex)
        {
            return ex.Message;
        }
    }

    private static void Evaluate(TenantGuard guard, string sql, bool sessionOutlivesLease, bool transactionOutlivesLease)
    {
        using var command = GuardHarness.Command();
        guard.Analyze(sql, CommandType.Text, TestCatalog).Plan.Evaluate(command.Parameters, new GuardContext("acme", sessionOutlivesLease, transactionOutlivesLease));
    }
}
