using System.Collections.ObjectModel;

namespace DapperTenants;

/// <summary>The stable codes of <see cref="AuditFinding"/>. A code keeps its meaning forever; retired codes are never reused.</summary>
public static class AuditCodes
{
    /// <summary>No table has a tenant column or a tenant policy.</summary>
    public const string NoTenantTables = "DT000";

    /// <summary>A tenant table without Row-Level Security.</summary>
    public const string RlsDisabled = "DT001";

    /// <summary>Row-Level Security is enabled but not forced.</summary>
    public const string RlsNotForced = "DT002";

    /// <summary>Row-Level Security is enabled without a policy.</summary>
    public const string NoPolicy = "DT003";

    /// <summary>A permissive policy that is always true.</summary>
    public const string AlwaysTruePolicy = "DT004";

    /// <summary>A permissive policy for PUBLIC or the app role that ignores the tenant column.</summary>
    public const string PolicyIgnoresTenant = "DT005";

    /// <summary>A permissive policy names the tenant column but admits other tenants' rows (COALESCE around the setting, IS NOT NULL, the login's name, an OR branch…).</summary>
    public const string PolicyFailsOpen = "DT006";

    /// <summary>A policy compares a text tenant column with the raw setting without NULLIF: an empty setting is a tenant, <c>''</c>.</summary>
    public const string PolicyEmptySettingIsATenant = "DT007";

    /// <summary>A permissive policy the audit cannot prove isolates tenants (a function it cannot see into, a sub-select, CASE…).</summary>
    public const string PolicyUnproven = "DT008";

    /// <summary>Every policy of a tenant table is RESTRICTIVE, so it admits no row.</summary>
    public const string OnlyRestrictivePolicies = "DT009";

    /// <summary>The app role is a superuser.</summary>
    public const string AppRoleSuperuser = "DT010";

    /// <summary>The app role has BYPASSRLS.</summary>
    public const string AppRoleBypassesRls = "DT011";

    /// <summary>The app role owns (or can act as the owner of) a protected table.</summary>
    public const string AppRoleOwnsTable = "DT012";

    /// <summary>The app role may TRUNCATE a protected table.</summary>
    public const string AppRoleTruncate = "DT013";

    /// <summary>The app role holds REFERENCES on a protected table.</summary>
    public const string AppRoleReferences = "DT014";

    /// <summary>The app role does not exist.</summary>
    public const string AppRoleMissing = "DT015";

    /// <summary>No app role was given, so its checks did not run.</summary>
    public const string AppRoleNotGiven = "DT016";

    /// <summary>The app role is a member (directly or through other roles) of a superuser or BYPASSRLS role, so it can SET ROLE to it.</summary>
    public const string AppRoleMemberOfPrivileged = "DT017";

    /// <summary>The app role has CREATEROLE.</summary>
    public const string AppRoleCreateRole = "DT018";

    /// <summary>The app role may create triggers on a protected table (TRIGGER privilege).</summary>
    public const string AppRoleTrigger = "DT019";

    /// <summary>No index leads on the tenant column.</summary>
    public const string NoTenantIndex = "DT020";

    /// <summary>A unique or primary-key index on a protected table does not lead on the tenant column.</summary>
    public const string UniqueIndexWithoutTenant = "DT021";

    /// <summary>A foreign key into a protected table without the tenant column.</summary>
    public const string ForeignKeyWithoutTenant = "DT030";

    /// <summary>A view whose owner bypasses Row-Level Security.</summary>
    public const string ViewBypassesRls = "DT040";

    /// <summary>A materialized view over a protected table.</summary>
    public const string MaterializedView = "DT041";

    /// <summary>A SECURITY DEFINER function owned by a role that bypasses Row-Level Security.</summary>
    public const string SecurityDefinerFunction = "DT042";

    /// <summary>A partition of a protected table without Row-Level Security.</summary>
    public const string PartitionWithoutRls = "DT050";

    /// <summary>The server predates Row-Level Security fixes of its release line.</summary>
    public const string ServerUnpatched = "DT060";

    /// <summary>The server's release line is past end of life.</summary>
    public const string ServerEndOfLife = "DT061";

    /// <summary>A policy trusts the raw tenant setting, not the signed context.</summary>
    public const string RawTenantSetting = "DT070";

    /// <summary>The app role may create temporary objects in the database.</summary>
    public const string AppRoleTemporary = "DT080";

    /// <summary>The app role may execute built-ins that run a query given as text.</summary>
    public const string AppRoleSqlExecutingBuiltIns = "DT081";

    /// <summary>The app role may CREATE in a schema on its search_path.</summary>
    public const string AppRoleCreatesOnSearchPath = "DT082";

    /// <summary>The application's pool does not reset sessions between leases.</summary>
    public const string PoolDoesNotReset = "DT090";

    /// <summary>A table without a tenant column whose policies isolate rows by another scheme (a user id, a role): not judged as a tenant table.</summary>
    public const string OtherIsolationScheme = "DT099";

    /// <summary>The verifier found no table (or no tenant column) for an <see cref="RlsAttribute"/> type.</summary>
    public const string VerifiedTableMissing = "DT100";

    /// <summary>The tenant policy compares another column than the <see cref="RlsAttribute"/> type's tenant column.</summary>
    public const string PolicyOnOtherColumn = "DT101";

    /// <summary>A tenant policy reads the raw setting without NULLIF, so an empty setting does not fail closed.</summary>
    public const string PolicyNotFailClosed = "DT102";

    /// <summary>The tenant column's default does not stamp the current tenant.</summary>
    public const string TenantDefaultMissing = "DT103";

    /// <summary>No permissive policy compares the tenant column with the tenant setting or the signed context.</summary>
    public const string NoTenantPolicy = "DT104";

    /// <summary>Verified by a probe: a tenant reads another tenant's row.</summary>
    public const string CrossTenantRead = "DT110";

    /// <summary>Verified by a probe: a tenant inserts a row stamped with another tenant.</summary>
    public const string CrossTenantInsert = "DT111";

    /// <summary>Verified by a probe: a tenant updates another tenant's row, or moves its own row to another tenant.</summary>
    public const string CrossTenantUpdate = "DT112";

    /// <summary>Verified by a probe: a tenant deletes another tenant's row.</summary>
    public const string CrossTenantDelete = "DT113";

    /// <summary>Verified by a probe: a tenant's upsert (INSERT … ON CONFLICT DO UPDATE) changes another tenant's row.</summary>
    public const string CrossTenantUpsert = "DT114";

    /// <summary>Verified by a probe: rows are visible with no tenant set.</summary>
    public const string VisibleWithoutTenant = "DT115";

    /// <summary>The verifier could not seed or probe a table, so its isolation is not proven.</summary>
    public const string TableNotVerified = "DT119";

    /// <summary>
    /// The app role could use the support access path (<see cref="PolicyInstaller.UseSupportAccess"/>): it is a member of
    /// the role the support policies name, may execute the function that opens a support session or the one that logs a
    /// support write, or holds a privilege on the access log or the write log.
    /// </summary>
    public const string AppRoleCanUseSupport = "DT120";

    /// <summary>Every code with a short description, ordered by code.</summary>
    public static IReadOnlyDictionary<string, string> Descriptions { get; } = new ReadOnlyDictionary<string, string>(new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        [NoTenantTables] = "no table has a tenant column",
        [RlsDisabled] = "tenant table without Row-Level Security",
        [RlsNotForced] = "Row-Level Security not forced",
        [NoPolicy] = "Row-Level Security without a policy",
        [AlwaysTruePolicy] = "permissive policy that is always true",
        [PolicyIgnoresTenant] = "permissive policy for PUBLIC or the app role that ignores the tenant column",
        [PolicyFailsOpen] = "policy that names the tenant column but admits other tenants' rows",
        [PolicyEmptySettingIsATenant] = "policy on the raw setting without NULLIF: an empty setting is a tenant",
        [PolicyUnproven] = "policy the audit cannot prove isolates tenants",
        [OnlyRestrictivePolicies] = "tenant table with only RESTRICTIVE policies: admits no row",
        [AppRoleSuperuser] = "app role is a superuser",
        [AppRoleBypassesRls] = "app role has BYPASSRLS",
        [AppRoleOwnsTable] = "app role owns (or can act as the owner of) a protected table",
        [AppRoleTruncate] = "app role may TRUNCATE a protected table",
        [AppRoleReferences] = "app role holds REFERENCES on a protected table",
        [AppRoleMissing] = "app role does not exist",
        [AppRoleNotGiven] = "no --app-role: app role checks skipped",
        [AppRoleMemberOfPrivileged] = "app role can SET ROLE to a superuser or BYPASSRLS role",
        [AppRoleCreateRole] = "app role has CREATEROLE",
        [AppRoleTrigger] = "app role may create triggers on a protected table",
        [NoTenantIndex] = "no index leading on the tenant column",
        [UniqueIndexWithoutTenant] = "unique or primary-key index on a protected table that does not lead on the tenant column",
        [ForeignKeyWithoutTenant] = "foreign key into a protected table without the tenant column",
        [ViewBypassesRls] = "view whose owner bypasses Row-Level Security",
        [MaterializedView] = "materialized view over a protected table",
        [SecurityDefinerFunction] = "SECURITY DEFINER function owned by a role that bypasses Row-Level Security",
        [PartitionWithoutRls] = "partition of a protected table without Row-Level Security",
        [ServerUnpatched] = "server predates Row-Level Security fixes of its release line",
        [ServerEndOfLife] = "server release line is past end of life",
        [RawTenantSetting] = "policy trusts the raw tenant setting, not the signed context",
        [AppRoleTemporary] = "app role may create temporary objects",
        [AppRoleSqlExecutingBuiltIns] = "app role may execute built-ins that run SQL given as text",
        [AppRoleCreatesOnSearchPath] = "app role may CREATE in a schema on its search_path",
        [PoolDoesNotReset] = "the application's pool does not reset sessions",
        [OtherIsolationScheme] = "table isolated by another scheme than the tenant column",

        [VerifiedTableMissing] = "verifier: no table or tenant column for an [Rls] type",
        [PolicyOnOtherColumn] = "verifier: the tenant policy compares another column than the [Rls] tenant column",
        [PolicyNotFailClosed] = "verifier: a tenant policy reads the setting without NULLIF",
        [TenantDefaultMissing] = "verifier: the tenant column's default does not stamp the tenant",
        [NoTenantPolicy] = "verifier: no permissive policy compares the tenant column with the tenant",
        [CrossTenantRead] = "verifier: a tenant reads another tenant's row",
        [CrossTenantInsert] = "verifier: a tenant inserts a row for another tenant",
        [CrossTenantUpdate] = "verifier: a tenant updates another tenant's row",
        [CrossTenantDelete] = "verifier: a tenant deletes another tenant's row",
        [CrossTenantUpsert] = "verifier: a tenant's upsert changes another tenant's row",
        [VisibleWithoutTenant] = "verifier: rows visible with no tenant set",
        [TableNotVerified] = "verifier: table not verified (could not seed or probe it)",

        [AppRoleCanUseSupport] = "app role could use the support access path or change the access log",
    });
}
