namespace DapperTenants.Catalog;

/// <summary>
/// The tenant registry's objects: what the installer creates (<c>Policies/</c>) and what <see cref="TenantRegistry"/> and
/// the data source's registered-tenant check (<c>Registry/</c>) read and write must agree on these.
/// </summary>
internal static class RegistryNames
{
    /// <summary>The schema, shared with the signed context and owned by the tables' owner.</summary>
    public const string Schema = SignedContextNames.Schema;

    /// <summary>The registry table: one row per tenant, keyed by its exact value.</summary>
    /// <remarks>
    /// Its key column is <c>id</c>, not <c>tenant</c>: the audit takes a column named <c>tenant</c> or <c>tenant_id</c> as
    /// the hint of a table that holds tenant rows, and the registry holds metadata, not a tenant's rows.
    /// </remarks>
    public const string Table = "tenants";

    /// <summary>The function the app login may call to register a missing tenant, when the installer was asked to allow it.</summary>
    public const string CreateFunction = "create_missing_tenant";

    /// <summary>The registry table as SQL names it: <c>"dapper_tenants"."tenants"</c>.</summary>
    public const string QualifiedTable = "\"" + Schema + "\".\"" + Table + "\"";

    /// <summary>The function as SQL names it.</summary>
    public const string QualifiedCreateFunction = "\"" + Schema + "\".\"" + CreateFunction + "\"";

    /// <summary>The state of a tenant that may open connections.</summary>
    public const string Active = "active";

    /// <summary>The state of a tenant an operator disabled.</summary>
    public const string Disabled = "disabled";

    /// <summary>The state of a tenant whose data was deleted.</summary>
    public const string Purged = "purged";

    /// <summary>The state of a tenant whose purge started and has not finished.</summary>
    public const string Purging = "purging";

    /// <summary>The check constraint that lists the states (named as PostgreSQL names it by default, so older registries have it too).</summary>
    public const string StateCheck = "tenants_state_check";

    /// <summary>The columns every reader needs, with their types as <c>format_type</c> prints them.</summary>
    public static readonly IReadOnlyList<(string Name, string Type)> Columns =
    [
        ("id", "text"),
        ("state", "text"),
        ("created_at", "timestamp with time zone"),
        ("disabled_at", "timestamp with time zone"),
        ("disabled_reason", "text"),
    ];
}
