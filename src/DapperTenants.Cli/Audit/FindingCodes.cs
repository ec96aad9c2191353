using System.Collections.Frozen;

namespace DapperTenants.Cli.Audit;

/// <summary>The stable finding codes. A code keeps its meaning forever; retired codes are never reused.</summary>
internal static class FindingCodes
{
    public const string NoTenantTables = "DT000";
    public const string RlsDisabled = "DT001";
    public const string RlsNotForced = "DT002";
    public const string NoPolicy = "DT003";
    public const string AlwaysTruePolicy = "DT004";
    public const string PolicyIgnoresTenant = "DT005";
    public const string AppRoleSuperuser = "DT010";
    public const string AppRoleBypassesRls = "DT011";
    public const string AppRoleOwnsTable = "DT012";
    public const string AppRoleTruncate = "DT013";
    public const string AppRoleReferences = "DT014";
    public const string AppRoleMissing = "DT015";
    public const string AppRoleNotGiven = "DT016";
    public const string NoTenantIndex = "DT020";
    public const string ForeignKeyWithoutTenant = "DT030";
    public const string ViewBypassesRls = "DT040";
    public const string MaterializedView = "DT041";
    public const string SecurityDefinerFunction = "DT042";
    public const string PartitionWithoutRls = "DT050";
    public const string ServerUnpatched = "DT060";
    public const string ServerEndOfLife = "DT061";
    public const string RawTenantSetting = "DT070";

    /// <summary>Every code with a short name, for <c>--ignore</c> validation and the documentation.</summary>
    public static readonly FrozenDictionary<string, string> All = new Dictionary<string, string>
    {
        [NoTenantTables] = "no table has a tenant column",
        [RlsDisabled] = "tenant table without Row-Level Security",
        [RlsNotForced] = "Row-Level Security not forced",
        [NoPolicy] = "Row-Level Security without a policy",
        [AlwaysTruePolicy] = "permissive policy that is always true",
        [PolicyIgnoresTenant] = "permissive policy for PUBLIC or the app role that ignores the tenant column",
        [AppRoleSuperuser] = "app role is a superuser",
        [AppRoleBypassesRls] = "app role has BYPASSRLS",
        [AppRoleOwnsTable] = "app role owns (or can act as the owner of) a protected table",
        [AppRoleTruncate] = "app role may TRUNCATE a protected table",
        [AppRoleReferences] = "app role holds REFERENCES on a protected table",
        [AppRoleMissing] = "app role does not exist",
        [AppRoleNotGiven] = "no --app-role: app role checks skipped",
        [NoTenantIndex] = "no index leading on the tenant column",
        [ForeignKeyWithoutTenant] = "foreign key into a protected table without the tenant column",
        [ViewBypassesRls] = "view whose owner bypasses Row-Level Security",
        [MaterializedView] = "materialized view over a protected table",
        [SecurityDefinerFunction] = "SECURITY DEFINER function owned by a role that bypasses Row-Level Security",
        [PartitionWithoutRls] = "partition of a protected table without Row-Level Security",
        [ServerUnpatched] = "server predates Row-Level Security fixes of its release line",
        [ServerEndOfLife] = "server release line is past end of life",
        [RawTenantSetting] = "policy trusts the raw tenant setting, not the signed context",
    }.ToFrozenDictionary(StringComparer.Ordinal);
}
