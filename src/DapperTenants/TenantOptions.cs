using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DapperTenants;

/// <summary>How a <see cref="TenantDataSource"/> and a <see cref="PolicyInstaller"/> carry and check the tenant.</summary>
/// <remarks>
/// A data source copies its options when it is created, so changing an instance afterwards has no effect on it.
/// The installer and every data source of one database must use the same <see cref="SettingName"/>.
/// </remarks>
public sealed partial class TenantOptions
{
    /// <summary>The setting name used when none is configured: <c>dapper_tenants.tenant</c>.</summary>
    public const string DefaultSettingName = "dapper_tenants.tenant";

    /// <summary>The longest tenant value accepted when none is configured: 256 characters.</summary>
    public const int DefaultMaxTenantLength = 256;

    /// <summary>The signing key id used when none is configured: <c>default</c>.</summary>
    public const string DefaultSigningKeyId = "default";

    /// <summary>The fewest bytes a signing key may have: 32 (256 bits).</summary>
    public const int MinSigningKeyLength = 32;

    /// <summary>The shortest token lifetime accepted: 10 seconds.</summary>
    internal static readonly TimeSpan MinSigningTokenLifetime = TimeSpan.FromSeconds(10);

    /// <summary>The longest token lifetime accepted: 1 day.</summary>
    internal static readonly TimeSpan MaxSigningTokenLifetime = TimeSpan.FromDays(1);

    /// <summary>The PostgreSQL custom setting (GUC) that carries the tenant to the policies.</summary>
    /// <value>Defaults to <c>dapper_tenants.tenant</c>. Must match <c>^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$</c>.</value>
    public string SettingName { get; set; } = DefaultSettingName;

    /// <summary>How long the tenant setting lives on the server connection.</summary>
    /// <value>Defaults to <see cref="TenantContextScope.Transaction"/>, which is safe with every pooling setup.</value>
    public TenantContextScope ContextScope { get; set; } = TenantContextScope.Transaction;

    /// <summary>Whether statements are checked before they are sent.</summary>
    /// <value>Defaults to <see cref="TenantGuardMode.Throw"/>.</value>
    public TenantGuardMode GuardMode { get; set; } = TenantGuardMode.Throw;

    /// <summary>Whether a superuser or <c>BYPASSRLS</c> login may open tenant connections.</summary>
    /// <value>Defaults to <see langword="false"/>: such a login throws <see cref="UnsafeRoleException"/> on the first open.</value>
    /// <remarks>PostgreSQL never applies Row-Level Security to these logins: every tenant would see every row.</remarks>
    public bool AllowPrivilegedRole { get; set; }

    /// <summary>
    /// Whether tenant connections may run SQL the guard cannot see through: <c>DO</c> blocks, code created or changed on
    /// the connection (<c>CREATE FUNCTION</c>, <c>PROCEDURE</c>, <c>TRIGGER</c>, <c>RULE</c>, <c>AGGREGATE</c>,
    /// <c>OPERATOR</c>, <c>CAST</c>, <c>EXTENSION</c>, <c>ALTER FUNCTION</c>, …), calls of built-ins that execute a query
    /// text (<c>query_to_xml</c>, <c>ts_stat</c>, …) whose text is not a constant the guard analyzes and finds clean, and
    /// functions that run SQL it cannot see at all (<c>cursor_to_xml</c>, <c>dblink</c>).
    /// </summary>
    /// <value>Defaults to <see langword="false"/>: such statements throw <see cref="TenantGuardException"/> before they are sent.</value>
    /// <remarks>
    /// Setting it weakens isolation in the unsigned context: code the guard cannot read can change the tenant setting and
    /// reach other tenants' rows. Use it only with the signed context (<c>SigningKey</c>), or when every such
    /// statement is written by you and never built from input. Even then the guard lexes DO blocks and routine bodies
    /// and refuses those that visibly touch the tenant setting, the role or row-level security.
    /// </remarks>
    public bool AllowDynamicSql { get; set; }

    /// <summary>Whether tenant connections may run <c>EXPLAIN ANALYZE</c>.</summary>
    /// <value>Defaults to <see langword="false"/>: <c>EXPLAIN (ANALYZE)</c> throws <see cref="TenantGuardException"/>.</value>
    /// <remarks>
    /// <c>EXPLAIN ANALYZE</c> reports "Rows Removed by Filter", which counts the rows the policy hid: other tenants' row
    /// counts, and with an index that does not lead on the tenant column, their values one probe at a time.
    /// </remarks>
    public bool AllowExplainAnalyze { get; set; }

    /// <summary>
    /// Declares that an external transaction pooler (PgBouncer in transaction mode, a cloud proxy) sits between the
    /// application and PostgreSQL, so a server session can pass to another client without being reset.
    /// </summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    /// <remarks>
    /// It cannot be detected. When set, as with <c>No Reset On Close=true</c> or <c>Multiplexing=true</c>, statements
    /// that leave state in the session (temporary tables, <c>WITH HOLD</c> cursors, <c>LISTEN</c>, <c>PREPARE</c>, session
    /// <c>SET</c>, session advisory locks) are refused, and <see cref="TenantContextScope.Session"/> is refused.
    /// </remarks>
    public bool BehindTransactionPooler { get; set; }

    /// <summary>The longest tenant value, in UTF-16 code units, that <see cref="TenantDataSource.Open"/> accepts.</summary>
    /// <value>Defaults to 256.</value>
    public int MaxTenantLength { get; set; } = DefaultMaxTenantLength;

    /// <summary>Where the library writes its log events (guard refusals, privileged-login refusals, catalog reads).</summary>
    /// <value>Defaults to <see langword="null"/>: nothing is logged. <c>AddDapperTenants</c> sets the application's factory.</value>
    /// <remarks>Log events never carry row data, parameter values, SQL text or connection-string secrets; they may name the tenant.</remarks>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Whether the metrics of the <c>DapperTenants</c> meter carry the tenant as a <c>tenant.id</c> dimension.</summary>
    /// <value>Defaults to <see langword="false"/>: every tenant would be a time series of its own.</value>
    /// <remarks>Spans carry <c>tenant.id</c> whatever this says. Turn it on only for a small, bounded number of tenants.</remarks>
    public bool IncludeTenantInMetrics { get; set; }

    private ILogger? _connectionLogger;
    private ILogger? _guardLogger;

    internal ILogger ConnectionLogger => _connectionLogger ??= LoggerFactory?.CreateLogger(Telemetry.TenantLog.ConnectionCategory) ?? NullLogger.Instance;

    internal ILogger GuardLogger => _guardLogger ??= LoggerFactory?.CreateLogger(Telemetry.TenantLog.GuardCategory) ?? NullLogger.Instance;

    /// <summary>
    /// The key that signs the tenant context, so that SQL running as the application's login cannot forge another tenant;
    /// <see langword="null"/> keeps the unsigned context, where the setting holds the bare tenant.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>. At least 32 bytes; generate it with <c>RandomNumberGenerator.GetBytes(32)</c>.</value>
    /// <remarks>
    /// <para>
    /// With a key, the setting carries a token (the tenant, <see cref="SigningKeyId"/>, an expiry and an HMAC-SHA256 over
    /// them and <see cref="SettingName"/>) instead of the bare tenant, and the policies accept a tenant only from a token
    /// that the database verifies with the same key. Install that key and the verifying policies first, as the tables'
    /// owner, with <see cref="PolicyInstaller.UseSignedContext"/>.
    /// </para>
    /// <para>
    /// Keep the key in a secret store, never in source control or a connection string. The options copy the array when
    /// a data source or an installer is created from them.
    /// </para>
    /// </remarks>
    public byte[]? SigningKey { get; set; }

    /// <summary>The id under which the database holds <see cref="SigningKey"/>; several keys can be installed at once, for rotation.</summary>
    /// <value>Defaults to <c>default</c>. 1 to 32 lower case letters, digits and underscores.</value>
    public string SigningKeyId { get; set; } = DefaultSigningKeyId;

    /// <summary>How long a signed token stays valid; a data source uses a token for at most half of it, then signs a fresh one.</summary>
    /// <value>Defaults to 5 minutes. Between 10 seconds and 1 day.</value>
    /// <remarks>
    /// This is the replay window: SQL that reads a token (from the setting of its own session) can use it on another
    /// connection of the same login until it expires, for the tenant it names and no other. The server compares the
    /// expiry with the start of the transaction, so a transaction that began with a valid token keeps it.
    /// </remarks>
    public TimeSpan SigningTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The clock signed tokens are minted by; tests replace it.</summary>
    internal TimeProvider? SigningClock { get; set; }

    /// <summary>
    /// Whether <see cref="TenantDataSource.Open"/> admits only tenants that are active in the tenant registry
    /// (<see cref="PolicyInstaller.UseTenantRegistry()"/>, managed with <see cref="TenantRegistry"/>).
    /// </summary>
    /// <value>Defaults to <see langword="false"/>: any valid tenant value opens.</value>
    /// <remarks>
    /// <para>
    /// An unknown, disabled or purged tenant throws <see cref="TenantNotFoundException"/> from the open, before any statement
    /// runs under it. The check costs no round trip per statement or per open: each data source keeps an in-memory copy
    /// of the registry, read again lazily, on the connection an open has just leased, by the first open after
    /// <see cref="RegistryRefreshInterval"/> has passed. A tenant the copy does not know costs one lookup of that tenant (at
    /// most 20 per second per data source), so a tenant created a moment ago opens at once.
    /// </para>
    /// <para>
    /// A disabled tenant stops opening within <see cref="RegistryRefreshInterval"/> (plus the time one refresh takes); a
    /// connection already open for it finishes its lease. The app login needs <c>SELECT</c> on the registry
    /// (<see cref="PolicyInstaller.GrantTo"/>), and reads every tenant's identifier and state: the registry is metadata, not
    /// a tenant's rows. Tenants are compared exactly, as the policies compare them: <c>ACME</c>, <c>acme </c> or another
    /// Unicode normalization of <c>acme</c> is another, unregistered tenant.
    /// </para>
    /// </remarks>
    public bool RequireRegisteredTenant { get; set; }

    /// <summary>
    /// Whether an open registers a tenant the registry does not hold, as active, instead of refusing it (parity with
    /// sqlalchemy-tenants' <c>create_if_missing</c>). Needs <see cref="RequireRegisteredTenant"/>.
    /// </summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    /// <remarks>
    /// <para>
    /// The app login cannot write the registry; it calls <c>dapper_tenants.create_missing_tenant(text)</c>, a
    /// <c>SECURITY DEFINER</c> function the installer creates only when asked with
    /// <c>UseTenantRegistry(TenantRegistryAccess.CreateIfMissing)</c>. That function inserts a new, active tenant and never
    /// changes an existing one: a disabled or purged tenant stays refused.
    /// </para>
    /// <para>
    /// Once the function is installed, any SQL running as the app login may register any tenant value (it gains no
    /// access to another tenant's rows by it). Use it only where the tenant value comes from an authenticated source.
    /// </para>
    /// </remarks>
    public bool CreateIfMissing { get; set; }

    /// <summary>How old a data source's copy of the tenant registry may be before an open reads it again (<see cref="RequireRegisteredTenant"/>).</summary>
    /// <value>Defaults to 5 seconds. Between 0 (read on every open: one more round trip per open) and 1 hour.</value>
    /// <remarks>The bound on how long a disabled tenant keeps opening new connections.</remarks>
    public TimeSpan RegistryRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The clock the registry copy ages by; tests replace it.</summary>
    internal TimeProvider? RegistryClock { get; set; }

    internal TenantOptions Clone()
    {
        var copy = (TenantOptions)MemberwiseClone();
        copy._connectionLogger = null;
        copy._guardLogger = null;

        copy.SigningKey = SigningKey?.ToArray();
        return copy;
    }

    /// <summary>Throws when an option cannot work; called by the data source and the installer.</summary>
    internal void Validate(string paramName)
    {
        ValidateSettingName(SettingName, paramName);
        if (!Enum.IsDefined(ContextScope))
        {
            throw new ArgumentException($"TenantOptions.ContextScope has the undefined value {(int)ContextScope}. Use TenantContextScope.Transaction or TenantContextScope.Session.", paramName);
        }

        if (!Enum.IsDefined(GuardMode))
        {
            throw new ArgumentException($"TenantOptions.GuardMode has the undefined value {(int)GuardMode}. Use TenantGuardMode.Throw or TenantGuardMode.Off.", paramName);
        }

        if (MaxTenantLength < 1)
        {
            throw new ArgumentException($"TenantOptions.MaxTenantLength is {MaxTenantLength}; it must be at least 1.", paramName);
        }

        if (SigningKey is not null)
        {
            ValidateSigningKey(SigningKey, "TenantOptions.SigningKey", paramName);
        }

        ValidateSigningKeyId(SigningKeyId, "TenantOptions.SigningKeyId", paramName);
        if (RegistryRefreshInterval < TimeSpan.Zero || RegistryRefreshInterval > TimeSpan.FromHours(1))
        {
            throw new ArgumentException(
                $"TenantOptions.RegistryRefreshInterval is {RegistryRefreshInterval.ToString("c", CultureInfo.InvariantCulture)}; it must be between 0 and 1 hour.",
                paramName);
        }

        if (CreateIfMissing && !RequireRegisteredTenant)
        {
            throw new ArgumentException(
                "TenantOptions.CreateIfMissing is set without TenantOptions.RequireRegisteredTenant: registering tenants on open is part of the "
                + "registered-tenant check. Set RequireRegisteredTenant = true as well, or leave CreateIfMissing off.",
                paramName);
        }

        if (SigningTokenLifetime < MinSigningTokenLifetime || SigningTokenLifetime > MaxSigningTokenLifetime)
        {
            throw new ArgumentException(
                $"TenantOptions.SigningTokenLifetime is {SigningTokenLifetime.ToString("c", CultureInfo.InvariantCulture)}; it must be between 10 seconds and 1 day.",
                paramName);
        }
    }

    internal static void ValidateSigningKey(byte[] key, string what, string paramName)
    {
        if (key.Length < MinSigningKeyLength)
        {
            throw new ArgumentException(
                $"{what} is {key.Length} bytes; a signing key needs at least {MinSigningKeyLength} bytes (256 bits). "
                + "Generate one with RandomNumberGenerator.GetBytes(32), keep it in a secret store, and give the same key to "
                + "TenantOptions.SigningKey and PolicyInstaller.UseSignedContext.",
                paramName);
        }
    }

    internal static void ValidateSigningKeyId(string? keyId, string what, string paramName)
    {
        if (keyId is null || !SigningKeyIdPattern().IsMatch(keyId))
        {
            throw new ArgumentException(
                $"{what} '{keyId}' is not valid: use 1 to 32 lower case letters, digits and underscores, such as 'default' or 'k2026_05'.",
                paramName);
        }
    }

    internal static void ValidateSettingName(string? name, string paramName)
    {
        if (name is null || !SettingNamePattern().IsMatch(name))
        {
            throw new ArgumentException(
                $"The tenant setting name '{name}' is not valid. PostgreSQL custom settings need the form 'prefix.name' "
                + "in lower case letters, digits and underscores, such as 'dapper_tenants.tenant' or 'app.tenant_id'.",
                paramName);
        }
    }

    [GeneratedRegex(@"\A[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex SettingNamePattern();

    // Kept to an alphabet that needs no quoting anywhere: in the token, in SQL literals and in psql variable names.
    [GeneratedRegex(@"\A[a-z0-9_]{1,32}\z", RegexOptions.CultureInvariant)]
    private static partial Regex SigningKeyIdPattern();
}
