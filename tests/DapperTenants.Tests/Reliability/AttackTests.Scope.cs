using System.Transactions;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Reliability;

/// <summary>
/// Leases of different tenants inside TransactionScopes: Npgsql hands the next connection opened in a scope the same
/// enlisted server session and transaction, and it returns a connection a scope released to the pool without its reset.
/// </summary>
public partial class AttackTests
{
    private const string Count = "select count(*) from orders";

    /// <summary>The TransactionScope attacks.</summary>
    public static IEnumerable<AttackCase> ScopeCases =>
    [
        new("tenant_statements_in_a_TransactionScope_after_another_tenants_lease", Outcome.NoForeignRows, Read)
        {
            // Every statement of acme's lease sends acme's tenant, whatever globex's lease left in the shared transaction.
            Before = Before.GlobexRanFirst,
            Pool = Pool.TransactionScope,
            Globex = Count,
        },
        new("escape_hatch_in_a_TransactionScope_after_another_tenants_lease", Outcome.KnownLimit, Read)
        {
            // The unguarded inner connection sends no tenant: it reads under whatever the shared transaction holds.
            Before = Before.GlobexRanFirst,
            Pool = Pool.TransactionScope,
            Globex = Count,
            Via = Via.InnerConnection,
        },
        new("session_scope_context_rolled_back_by_a_TransactionScope", Outcome.NoForeignRows, Read + " -- after a rolled back TransactionScope, session scope")
        {
            // Found by this suite: the context statement's session-level setting counted as applied although the scope's
            // transaction rolled it back, back to globex's value that an earlier scope left in the session.
            Control = Read,
            Script = async run =>
            {
                await using var tenants = run.CreateTenants(b => b.MaxPoolSize = 1, o => o.ContextScope = TenantContextScope.Session);
                using (var first = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
                {
                    await using var globex = run.Sync ? tenants.Open(OrdersDatabase.Globex) : await tenants.OpenAsync(OrdersDatabase.Globex);
                    (await run.ReadAsync(globex, Count)).ShouldBe(["3"]);
                    first.Complete();
                }

                var second = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled);
                var acme = run.Sync ? tenants.Open(OrdersDatabase.Acme) : await tenants.OpenAsync(OrdersDatabase.Acme);
                await using (acme)
                {
                    (await run.ReadAsync(acme, Count)).ShouldBe(["5"]);
                    second.Dispose();
                    var rows = await run.ReadAsync(acme, Read);
                    rows.ShouldContain("a1", "after the rollback acme's lease still reads as acme");
                    return rows;
                }
            },
        },
        new("session_scope_tenant_left_for_the_next_leases_escape_hatch", Outcome.KnownLimit, Read + " -- on the inner connection, before the first statement")
        {
            // Session scope sets the tenant for the session; a connection a TransactionScope released goes back to the
            // pool without Npgsql's reset, so the next lease's inner connection starts with the previous tenant.
            Script = async run =>
            {
                await using var tenants = run.CreateTenants(b => b.MaxPoolSize = 1, o => o.ContextScope = TenantContextScope.Session);
                using (var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
                {
                    await using var globex = run.Sync ? tenants.Open(OrdersDatabase.Globex) : await tenants.OpenAsync(OrdersDatabase.Globex);
                    await run.ReadAsync(globex, Count);
                    scope.Complete();
                }

                await using var acme = run.Sync ? tenants.Open(OrdersDatabase.Acme) : await tenants.OpenAsync(OrdersDatabase.Acme);
                return await run.ReadAsync(acme.InnerConnection, Read);
            },
        },
    ];
}
