namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// The synchronous variants of scenarios 1 and 2 that the diagnoses run, the reference (the floor) first. Names match
/// the BenchmarkDotNet methods of <see cref="Scenarios.OpenQueryClose"/>, <see cref="Scenarios.UnitOfWork"/> and
/// <see cref="Scenarios.SignedContext"/>.
/// </summary>
internal static class VariantSets
{
    public const string Floor = "Floor_SameStatementsByHand";
    public const string Ours = "TenantConnection_Transaction";
    public const string Signed = "Signed_TenantConnection";
    public const string Strict = "Strict_TenantConnection";
    public const string Raw = "Raw_ExplicitWhere";
    public const string HandWritten = "HandWritten_SetConfig";
    public const string RolePerTenant = "RolePerTenant_SetRole";

    /// <summary>Scenario 1: open, point query, close. Without <paramref name="all"/>: the floor, the library and raw only.</summary>
    public static Variant[] OpenQueryClose(OrderLookups lookups, bool all = true)
    {
        var keys = lookups.Dataset.DrawKeys(4096, seed: 42);
        Variant[] core =
        [
            new(Floor, i => lookups.SameStatementsByHand(keys[i & 4095]) is not null, () => lookups.BackendProcessIds().SameStatementsByHand),
            new(Ours, i => lookups.TenantConnection(keys[i & 4095]) is not null, () => lookups.BackendProcessIds().TenantConnection),
            new(Raw, i => lookups.ExplicitWhere(keys[i & 4095]) is not null, () => lookups.BackendProcessIds().ExplicitWhere),
        ];
        return !all ? core :
        [
            .. core,
            new(Signed, i => lookups.SignedTenantConnection(keys[i & 4095]) is not null, () => lookups.BackendProcessIds().SignedTenantConnection),
            new(Strict, i => lookups.StrictTenantConnection(keys[i & 4095]) is not null, () => lookups.BackendProcessIds().StrictTenantConnection),
            new(HandWritten, i => lookups.HandWritten(keys[i & 4095]) is not null, () => lookups.BackendProcessIds().HandWritten),
            new(RolePerTenant, i => lookups.RolePerTenant(keys[i & 4095]) is not null, () => lookups.BackendProcessIds().RolePerTenant),
        ];
    }

    /// <summary>Scenario 2: the unit of work (3 reads, 2 writes, commit).</summary>
    public static Variant[] UnitOfWork(UnitsOfWork units)
    {
        var keys = units.Dataset.DrawKeys(4096, seed: 2);
        Variant Of(string name, UnitOfWorkForm form, Func<OrderKey, int> run) => new(name, i => run(keys[i & 4095]) == 2, () => units.BackendProcessId(form));
        return
        [
            Of(Floor, UnitOfWorkForm.SameStatementsByHand, units.SameStatementsByHand),
            Of(Ours, UnitOfWorkForm.TenantConnection, units.TenantConnection),
            Of(Raw, UnitOfWorkForm.ExplicitWhere, units.ExplicitWhere),
            Of(Signed, UnitOfWorkForm.SignedTenantConnection, units.SignedTenantConnection),
            Of(HandWritten, UnitOfWorkForm.HandWritten, units.HandWritten),
            Of(RolePerTenant, UnitOfWorkForm.RolePerTenant, units.RolePerTenant),
        ];
    }
}
