using DapperTenants.Audit;
using DapperTenants.Catalog;

namespace DapperTenants.Tests.Audit;

/// <summary>Hand-made catalog models for the audit's rules: a forced, protected table unless told otherwise.</summary>
internal static class AuditFixtures
{
    public static readonly DateOnly Today = new(2026, 11, 28);

    /// <summary>A policy that reads the tenant through the signed context's verifier: no DT070, no other finding.</summary>
    public static TablePolicy TenantPolicy(uint oid = 1) => Policy(oid, "tenant_isolation", "(tenant = ( SELECT dapper_tenants.tenant_of('dapper_tenants.tenant'::text) AS tenant_of))",
        columns: [1], verifier: true);

    public static TablePolicy Policy(uint oid, string name, string? @using, bool permissive = true, string[]? roles = null, int[]? columns = null, bool verifier = false, string? check = null) =>
        new(oid, name, permissive, "*", roles ?? ["PUBLIC"], @using, check, columns ?? [], verifier) { Quoted = name };

    public static ProtectedTable Table(
        uint oid, string name, bool rls = true, bool forced = true, uint? parent = null, bool tenantIndex = true, TablePolicy[]? policies = null,
        TableIndex[]? uniqueIndexes = null) =>
        new("public", name, "tenant", "text", ["tenant", "id"])
        {
            Oid = oid,
            QuotedName = "public." + name,
            RowSecurity = rls,
            ForceRowSecurity = forced,
            Owner = "owner",
            ParentOid = parent,
            ColumnFacts =
            [
                new TableColumn("tenant", 1, "text", 25, true) { Quoted = "tenant", LeadsIndex = tenantIndex },
                new TableColumn("id", 2, "integer", 23, true) { Quoted = "id" },
            ],
            Policies = policies ?? (rls ? [TenantPolicy(oid * 100)] : []),
            UniqueIndexes = uniqueIndexes ?? [],
        };

    public static AuditCatalog.AppLogin App(
        string name = "app", bool superuser = false, bool bypass = false, AuditCatalog.TablePrivileges[]? privileges = null, uint[]? policiesApplying = null,
        bool temp = false, string[]? builtIns = null, string searchPath = "\"$user\", public", string[]? creatable = null, bool createSchema = false,
        bool ownSchema = false) =>
        new(name, name, true, superuser, bypass, privileges ?? [], (policiesApplying ?? []).ToHashSet(), temp, createSchema, builtIns ?? [], searchPath,
            creatable ?? [], ownSchema);

    public static AuditInput Input(
        IReadOnlyList<ProtectedTable> tables, AuditCatalog.AppLogin? app = null, bool noApp = false, IReadOnlyList<AuditCatalog.DependentView>? views = null,
        bool signedInstalled = false, int versionNum = 180006, string version = "18.6", PoolSettings? pool = null) =>
        new(new AuditCatalog("db", "db", versionNum, version, signedInstalled, new CatalogTables(tables), [], views ?? [], [], noApp ? null : app ?? App()),
            ["tenant"], Today, pool);

    public static List<(string Code, AuditSeverity Severity, string Target)> Evaluate(AuditInput input) =>
        [.. AuditRules.Evaluate(input).Select(f => (f.Code, f.Severity, f.Target))];
}
