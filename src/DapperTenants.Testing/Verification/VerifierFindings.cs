using DapperTenants.Catalog;
using DapperTenants.Policies;

namespace DapperTenants.Testing.Verification;

/// <summary>The findings only the verifier reports (codes DT100 and up), each with why it matters and the fix.</summary>
internal static class VerifierFindings
{
    public static AuditFinding TableMissing(TableModel model) => new(
        AuditCodes.VerifiedTableMissing, AuditSeverity.Error, Name(model),
        $"No table {Name(model)} with the tenant column {model.TenantColumn} exists for {model.Origin}.",
        "The application maps a tenant table the database does not have as described, so nothing isolates its rows.",
        "Create the table with its tenant column, or fix the [Rls] type's table, schema or tenant column name.");

    public static AuditFinding PolicyOnOtherColumn(TableModel model, ProtectedTable table) => new(
        AuditCodes.PolicyOnOtherColumn, AuditSeverity.Error, table.QuotedName,
        $"The tenant policy on {table.QuotedName} compares {table.TenantColumn}, not the tenant column {model.TenantColumn} of {model.Origin}.",
        "The application stamps and filters rows by one column while the database isolates them by another: a row's tenant is not the tenant the policy sees.",
        $"Compare {model.TenantColumn} with the tenant setting in the policy ('dapper-tenants apply' writes it), or fix [Rls(TenantColumn)].");

    public static AuditFinding NoTenantPolicy(TableModel model, ProtectedTable table, string settingName) => new(
        AuditCodes.NoTenantPolicy, AuditSeverity.Error, table.QuotedName,
        $"No permissive policy on {table.QuotedName} compares {model.TenantColumn} with the tenant setting '{settingName}'.",
        "Without a tenant policy the rows are either open to every tenant (Row-Level Security off or a wide policy) or closed to all of them.",
        $"Create the tenant policy ('dapper-tenants apply'), or CREATE POLICY on {table.QuotedName} with USING and WITH CHECK ({model.TenantColumn} = (SELECT NULLIF(current_setting('{settingName}', true), '')::{model.Type.Cast})).");

    public static AuditFinding NotFailClosed(ProtectedTable table, TablePolicy policy, string settingName) => new(
        AuditCodes.PolicyNotFailClosed, AuditSeverity.Warning, $"{policy.Quoted ?? policy.Name} ON {table.QuotedName}",
        $"The policy {policy.Quoted ?? policy.Name} on {table.QuotedName} reads current_setting('{settingName}') without NULLIF.",
        "After a tenant's transaction the setting is the empty string, not NULL: the policy then matches rows whose tenant is '' or, on a non-text tenant column, fails every statement instead of matching nothing.",
        $"Wrap the setting: NULLIF(current_setting('{settingName}', true), '').");

    public static AuditFinding DefaultMissing(TableModel model, ProtectedTable table, string settingName) => new(
        AuditCodes.TenantDefaultMissing, AuditSeverity.Warning, table.QuotedName,
        table.Column(model.TenantColumn)?.Default is { } other
            ? $"The default of {model.TenantColumn} on {table.QuotedName} is {other}, not the tenant setting '{settingName}'."
            : $"The tenant column {model.TenantColumn} on {table.QuotedName} has no default.",
        "An INSERT that leaves the tenant out (as the library lets the application do) does not get the connection's tenant: it fails, or writes a row no tenant owns.",
        $"ALTER TABLE {table.QuotedName} ALTER COLUMN {model.TenantColumn} SET DEFAULT NULLIF(current_setting('{settingName}', true), '')::{model.Type.Cast}; ('dapper-tenants apply' sets it).");

    public static AuditFinding NotVerified(string target, string title, string fix) => new(
        AuditCodes.TableNotVerified, AuditSeverity.Warning, target, title,
        "The verifier proves isolation only with a row of each of two tenants in the table; without them the table's isolation is unproven, never passed.",
        fix);

    public static AuditFinding Leak(string code, string target, string title, string fix) => new(
        code, AuditSeverity.Error, target, title,
        "Row-Level Security did not stop one tenant from reaching another tenant's rows: the database does not isolate this table.",
        fix);

    private static string Name(TableModel model) => model.Schema + "." + model.Table;
}
