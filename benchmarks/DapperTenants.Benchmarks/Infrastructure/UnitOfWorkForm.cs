namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>The forms of scenario 2's unit of work in <see cref="UnitsOfWork"/>.</summary>
public enum UnitOfWorkForm
{
    ExplicitWhere,
    SameStatementsByHand,
    TenantConnection,
    SignedTenantConnection,
    HandWritten,
    RolePerTenant,
}
