using System.Globalization;

namespace DapperTenants.Policies;

/// <summary>The DDL text the installer applies and scripts. Identifiers are always quoted; the setting name is validated.</summary>
internal static class PolicySql
{
    /// <summary>The one policy the installer owns on each table; other policies are left alone (and warned about).</summary>
    public const string PolicyName = "dapper_tenants_isolation";

    /// <summary>The second policy of a table with <see cref="RlsAttribute.SharedRows"/>.</summary>
    public const string SharedRowsPolicyName = "dapper_tenants_shared_rows";

    /// <summary>The advisory lock key that serializes installers: "DTPolicy" in ASCII.</summary>
    public const long LockKey = 0x4454_506F_6C69_6379;

    public static readonly string LockStatement = "SELECT pg_advisory_xact_lock(" + LockKey.ToString(CultureInfo.InvariantCulture) + ")";

    /// <summary>The connection's tenant as the column's type; NULL when no tenant is set, so nothing matches.</summary>
    /// <remarks>
    /// Signed, the tenant comes from the verifier, which returns it only from a valid, unexpired token in the setting
    /// (<see cref="SignedContextSql"/>); unsigned, from the setting itself.
    /// </remarks>
    public static string TenantValue(string settingName, TenantSqlType type, bool signed = false) => signed
        ? $"{SignedContextSql.VerifiedTenant(settingName)}::{type.Cast}"
        : $"NULLIF(current_setting('{settingName}', true), '')::{type.Cast}";

    /// <summary>
    /// The isolation policy's <c>USING</c> and <c>WITH CHECK</c> expression: the row's tenant is the connection's.
    /// </summary>
    /// <remarks>
    /// The sub-select makes PostgreSQL evaluate the setting once per statement instead of once per row. Citus refuses a
    /// sub-select in a policy on a distributed table, so <paramref name="citus"/> drops it (the setting is then read per row).
    /// </remarks>
    public static string Own(string column, string settingName, TenantSqlType type, bool signed = false, bool citus = false) => citus
        ? $"{Identifiers.Quote(column)} = {TenantValue(settingName, type, signed)}"
        : $"{Identifiers.Quote(column)} = (SELECT {TenantValue(settingName, type, signed)})";

    /// <summary>The shared-rows policy's <c>USING</c> expression: a NULL-tenant row, for a connection that has a tenant.</summary>
    /// <remarks>Without a tenant, a connection sees no rows at all, shared ones included: the policies fail closed.</remarks>
    public static string SharedRows(string column, string settingName, bool signed = false, bool citus = false) => (signed, citus) switch
    {
        (true, _) => $"{Identifiers.Quote(column)} IS NULL AND (SELECT {SignedContextSql.VerifiedTenant(settingName)}) IS NOT NULL",
        (false, true) => $"{Identifiers.Quote(column)} IS NULL AND NULLIF(current_setting('{settingName}', true), '') IS NOT NULL",
        (false, false) => $"{Identifiers.Quote(column)} IS NULL AND (SELECT NULLIF(current_setting('{settingName}', true), '')) IS NOT NULL",
    };

    public static string EnableRls(string relation) => $"ALTER TABLE {relation} ENABLE ROW LEVEL SECURITY;";

    public static string ForceRls(string relation) => $"ALTER TABLE {relation} FORCE ROW LEVEL SECURITY;";

    public static string DropPolicy(string name, string relation, bool ifExists) =>
        $"DROP POLICY {(ifExists ? "IF EXISTS " : string.Empty)}{Identifiers.Quote(name)} ON {relation};";

    /// <summary>The isolation policy: every command sees and writes only the connection's tenant's rows.</summary>
    public static string CreatePolicy(string relation, string column, string settingName, TenantSqlType type, bool signed = false, bool citus = false) =>
        $"CREATE POLICY {Identifiers.Quote(PolicyName)} ON {relation} AS PERMISSIVE FOR ALL TO PUBLIC\n"
        + $"    USING ({Own(column, settingName, type, signed, citus)})\n"
        + $"    WITH CHECK ({Own(column, settingName, type, signed, citus)});";

    /// <summary>
    /// The shared-rows policy: SELECT also sees NULL-tenant rows. Being FOR SELECT only, it widens nothing else: UPDATE
    /// and DELETE still reach only the tenant's own rows (so no tenant can change, claim or delete a shared row), and
    /// every written row must carry the tenant.
    /// </summary>
    public static string CreateSharedRowsPolicy(string relation, string column, string settingName, bool signed = false, bool citus = false) =>
        $"CREATE POLICY {Identifiers.Quote(SharedRowsPolicyName)} ON {relation} AS PERMISSIVE FOR SELECT TO PUBLIC\n"
        + $"    USING ({SharedRows(column, settingName, signed, citus)});";

    /// <summary>Sets the tenant column's default; <paramref name="only"/> keeps it from recursing into partitions.</summary>
    /// <remarks>Signed, the verifier runs once per inserted row that takes the default (a default cannot hold a sub-select).</remarks>
    public static string SetDefault(string relation, string column, string settingName, TenantSqlType type, bool only, bool signed = false) =>
        $"ALTER TABLE {(only ? "ONLY " : string.Empty)}{relation} ALTER COLUMN {Identifiers.Quote(column)} SET DEFAULT {TenantValue(settingName, type, signed)};";

    public static string GrantSchema(string schema, string role) =>
        $"GRANT USAGE ON SCHEMA {Identifiers.Quote(schema)} TO {Identifiers.Quote(role)};";

    /// <summary>Never TRUNCATE or REFERENCES: both ignore Row-Level Security.</summary>
    public static string GrantTable(string relation, string role) =>
        $"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {relation} TO {Identifiers.Quote(role)};";

    public static string GrantSequence(string sequence, string role) =>
        $"GRANT USAGE, SELECT ON SEQUENCE {sequence} TO {Identifiers.Quote(role)};";
}
