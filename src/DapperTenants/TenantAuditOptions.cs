namespace DapperTenants;

/// <summary>What a <see cref="TenantAudit"/> checks. Settable with an object initializer; every default is the common case.</summary>
public sealed class TenantAuditOptions
{
    /// <summary>The tenant setting the policies read.</summary>
    /// <value>Default <c>dapper_tenants.tenant</c>, as <see cref="TenantOptions.SettingName"/>.</value>
    public string SettingName { get; set; } = TenantOptions.DefaultSettingName;

    /// <summary>
    /// The login the application connects as: checked for superuser, BYPASSRLS, ownership, TRUNCATE, REFERENCES,
    /// temporary objects, SQL-executing built-ins and CREATE on its search_path.
    /// </summary>
    /// <value>Default <see langword="null"/>: taken from <see cref="AppConnectionString"/>'s user name when that is given, else the role checks are skipped (DT016).</value>
    public string? AppRole { get; set; }

    /// <summary>
    /// The application's connection string, to check its pool (DT090: sessions not reset between leases). Only its
    /// keywords are read; the audit never connects with it, and never reports its password.
    /// </summary>
    /// <value>Default <see langword="null"/>: the pool is not checked.</value>
    public string? AppConnectionString { get; set; }

    /// <summary>
    /// Column names, in order of preference, that mark a tenant table that has no tenant policy yet. A table whose
    /// policies compare a column with the tenant setting is a tenant table whatever the column's name.
    /// </summary>
    /// <value>Default <c>tenant</c>, <c>tenant_id</c>.</value>
    public IReadOnlyList<string> TenantColumns { get; set; } = DefaultTenantColumns;

    /// <summary>Finding codes (<see cref="AuditCodes"/>) to leave out of the report.</summary>
    /// <value>Default none.</value>
    public IReadOnlyCollection<string> IgnoredCodes { get; set; } = [];

    /// <summary>The clock for the server's end-of-life check (DT061).</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// How long each of the audit's catalog reads may take. A catalog of 22,000 relations takes a few seconds; the default
    /// leaves room for a far larger or busier one, where the data source's usual 30 seconds would fail the audit.
    /// </summary>
    /// <value>Default 5 minutes. <see cref="TimeSpan.Zero"/> waits without limit; <see langword="null"/> keeps the data source's <c>Command Timeout</c>.</value>
    public TimeSpan? CommandTimeout { get; set; } = DefaultCommandTimeout;

    /// <summary>The default <see cref="CommandTimeout"/>: 5 minutes.</summary>
    public static TimeSpan DefaultCommandTimeout { get; } = TimeSpan.FromMinutes(5);

    /// <summary>The default <see cref="TenantColumns"/>: <c>tenant</c>, <c>tenant_id</c>.</summary>
    public static IReadOnlyList<string> DefaultTenantColumns { get; } = ["tenant", "tenant_id"];

    /// <summary>
    /// Receives one short line as each step of a run begins (reading the tables, reading what reaches them, judging),
    /// for a progress display; <see langword="null"/> (the default) for none. Called on the thread running the audit,
    /// before the step, never after the run returns.
    /// </summary>
    public IProgress<string>? Progress { get; set; }

    internal TenantAuditOptions Validated(string parameterName)
    {
        TenantOptions.ValidateSettingName(SettingName, parameterName);
        ArgumentNullException.ThrowIfNull(TenantColumns, parameterName);
        ArgumentNullException.ThrowIfNull(IgnoredCodes, parameterName);
        ArgumentNullException.ThrowIfNull(TimeProvider, parameterName);
        if (CommandTimeout is { } timeout && (timeout < TimeSpan.Zero || timeout.TotalSeconds > int.MaxValue))
        {
            throw new ArgumentException($"TenantAuditOptions.CommandTimeout must be zero (no limit) or positive, and at most {int.MaxValue} seconds; it is {timeout}.", parameterName);
        }

        if (TenantColumns.Count == 0 || TenantColumns.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("TenantAuditOptions.TenantColumns needs at least one column name, and no empty one.", parameterName);
        }

        var unknown = IgnoredCodes.Where(c => !AuditCodes.Descriptions.ContainsKey(c)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException(
                $"TenantAuditOptions.IgnoredCodes has unknown finding code(s) {string.Join(", ", unknown)}. Known codes: {string.Join(", ", AuditCodes.Descriptions.Keys)}.",
                parameterName);
        }

        return new TenantAuditOptions
        {
            SettingName = SettingName,
            AppRole = AppRole,
            AppConnectionString = AppConnectionString,
            TenantColumns = [.. TenantColumns],
            IgnoredCodes = IgnoredCodes.ToHashSet(StringComparer.Ordinal),
            TimeProvider = TimeProvider,
            CommandTimeout = CommandTimeout,
            Progress = Progress,
        };
    }
}
