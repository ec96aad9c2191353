using DapperTenants.Catalog;
using DapperTenants.Connections;
using DapperTenants.Guard;
using DapperTenants.Registry;
using DapperTenants.Telemetry;
using Npgsql;

namespace DapperTenants;

/// <summary>
/// The entry point of the request path: one per application and database, like the <see cref="NpgsqlDataSource"/> it wraps.
/// <see cref="Open"/> leases a pooled connection that runs every statement under one tenant.
/// </summary>
/// <remarks>
/// Connect it as a login that is neither superuser nor <c>BYPASSRLS</c> and does not own the tables: PostgreSQL skips
/// Row-Level Security for the first two, and for owners unless the policy is <c>FORCE</c>d. The first open checks the
/// login and throws <see cref="UnsafeRoleException"/> for a privileged one unless <see cref="TenantOptions.AllowPrivilegedRole"/> is set.
/// </remarks>
public sealed class TenantDataSource : IDisposable, IAsyncDisposable
{
    private readonly bool _ownsDataSource;
    private TenantCatalog? _catalog;
    private int _catalogStale;
    private int _disposed;
    private TenantDataSource? _readOnly;

    /// <summary>Wraps an existing <see cref="NpgsqlDataSource"/>. The caller keeps ownership of it: disposing this does not dispose it.</summary>
    /// <param name="dataSource">The data source to lease physical connections from, connected as the application's login.</param>
    /// <param name="options">How the tenant is carried and checked; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">An option is invalid, or <see cref="TenantContextScope.Session"/> was asked for on a data source whose pooling would leak the tenant.</exception>
    public TenantDataSource(NpgsqlDataSource dataSource, TenantOptions? options = null)
        : this(dataSource, options, ownsDataSource: false)
    {
    }

    private TenantDataSource(NpgsqlDataSource dataSource, TenantOptions? options, bool ownsDataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var copy = options?.Clone() ?? new TenantOptions();
        copy.Validate(nameof(options));
        if (copy.ContextScope == TenantContextScope.Session)
        {
            RefuseLeakingPool(dataSource.ConnectionString, copy.BehindTransactionPooler, nameof(dataSource));
        }

        Options = copy;
        InnerDataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        var local = copy.ContextScope == TenantContextScope.Transaction ? "true" : "false";
        ContextSql = "select set_config('" + copy.SettingName + "', $1, " + local + ")";

        // A name no caller can guess, so no caller parameter can be bound in its place.
        ContextParameterName = "__dapper_tenants_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        ContextPrefix = "select set_config('" + copy.SettingName + "', @" + ContextParameterName + ", " + local + ");";
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        SessionsOutliveLeases = builder.NoResetOnClose || builder.Multiplexing || copy.BehindTransactionPooler;
        AutoEnlist = builder.Enlist;
        Guard = new TenantGuard(copy);
        Kits = new ExecutionKitPool(ContextSql);
        Minter = TenantTokenMinter.Create(copy, copy.SigningClock);
        Registry = copy.RequireRegisteredTenant ? new RegistrySnapshot(copy.RegistryRefreshInterval, copy.CreateIfMissing, copy.RegistryClock) : null;
    }

    /// <summary>Creates a data source, and the <see cref="NpgsqlDataSource"/> it owns, from a connection string.</summary>
    /// <param name="connectionString">An Npgsql connection string for the application's login.</param>
    /// <param name="configure">Sets options on a fresh <see cref="TenantOptions"/>; <see langword="null"/> for the defaults.</param>
    /// <returns>A data source that disposes its <see cref="NpgsqlDataSource"/> when disposed.</returns>
    public static TenantDataSource Create(string connectionString, Action<TenantOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var options = new TenantOptions();
        configure?.Invoke(options);
        options.Validate(nameof(configure));
        if (options.ContextScope == TenantContextScope.Session)
        {
            RefuseLeakingPool(connectionString, options.BehindTransactionPooler, nameof(connectionString));
        }

        return new TenantDataSource(NpgsqlDataSource.Create(connectionString), options, ownsDataSource: true);
    }

    /// <summary>A copy of the options this data source was created with.</summary>
    public TenantOptions Options { get; }

    internal NpgsqlDataSource InnerDataSource { get; }

    /// <summary>The statement that carries the tenant, a batch command of its own: <c>select set_config('setting', $1, local)</c>.</summary>
    internal string ContextSql { get; }

    /// <summary>The same statement as the start of a multi-statement text, with <see cref="ContextParameterName"/>.</summary>
    internal string ContextPrefix { get; }

    /// <summary>The parameter name of <see cref="ContextPrefix"/>, drawn at random for each data source.</summary>
    internal string ContextParameterName { get; }

    /// <summary>Whether a server session can pass to a later lease without Npgsql's reset.</summary>
    internal bool SessionsOutliveLeases { get; }

    /// <summary>Whether connections enlist in an ambient <c>TransactionScope</c> when opened (<c>Enlist</c>, on by default).</summary>
    internal bool AutoEnlist { get; }

    /// <summary>Signs the context when <see cref="TenantOptions.SigningKey"/> is set; <see langword="null"/> for the bare tenant.</summary>
    internal TenantTokenMinter? Minter { get; }

    /// <summary>The registered-tenant check (<see cref="TenantOptions.RequireRegisteredTenant"/>); <see langword="null"/> when it is off.</summary>
    internal RegistrySnapshot? Registry { get; }

    /// <summary>Batches and context statements reused by the commands of this data source.</summary>
    internal ExecutionKitPool Kits { get; }

    /// <summary>Analyzes and checks every caller statement; its plans are empty when <see cref="TenantGuardMode.Off"/>.</summary>
    internal TenantGuard Guard { get; }

    /// <summary>The catalog learned on the first open (refreshed by the first open after <see cref="RefreshCatalog"/>).</summary>
    /// <remarks>Never null once a connection exists: connections keep using the last catalog while a refresh is pending.</remarks>
    internal TenantCatalog Catalog => Volatile.Read(ref _catalog)!;

    /// <summary>Whether <paramref name="name"/>, with or without Npgsql's <c>@</c>/<c>:</c> prefix, in any case, is <see cref="ContextParameterName"/>.</summary>
    internal bool IsContextParameterName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        var bare = name[0] is '@' or ':' ? name.AsSpan(1) : name.AsSpan();
        return bare.Equals(ContextParameterName, StringComparison.OrdinalIgnoreCase);
    }

    private bool NeedsCatalog => Volatile.Read(ref _catalog) is null || Volatile.Read(ref _catalogStale) != 0;

    /// <summary>Opens a connection whose every statement runs under <paramref name="tenant"/>.</summary>
    /// <param name="tenant">The tenant value, compared exactly (case and whitespace matter) with the tenant column.</param>
    /// <returns>An open connection; dispose it to return the physical connection to the pool.</returns>
    /// <exception cref="ArgumentException">The tenant is empty, whitespace, contains NUL or an unpaired surrogate, or is too long.</exception>
    /// <exception cref="UnsafeRoleException">The login is a superuser or has <c>BYPASSRLS</c>.</exception>
    /// <exception cref="TenantNotFoundException">With <see cref="TenantOptions.RequireRegisteredTenant"/>: the tenant is not active in the tenant registry.</exception>
    public TenantConnection Open(string tenant)
    {
        ValidateTenant(tenant);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        using var lease = DapperTenantsTelemetry.StartLease(tenant);
        Npgsql.NpgsqlConnection? inner = null;
        try
        {
            inner = InnerDataSource.OpenConnection();
            if (NeedsCatalog)
            {
                var catalog = CatalogReader.Read(inner, Options.SettingName);
                if (Minter is not null)
                {
                    SignedContextCheck.Run(inner, Minter);
                }

                Learn(catalog);
                DapperTenantsTelemetry.CatalogRead(this, catalog, lease);
            }

            Registry?.Admit(inner, tenant);
            var connection = new Connections.NpgsqlConnection(this, inner, tenant);
            DapperTenantsTelemetry.LeaseOpened(this, tenant, lease);
            return connection;
        }
        catch (Exception e)
        {
            DapperTenantsTelemetry.LeaseFailed(this, lease, e);
            inner?.Dispose();
            throw;
        }
    }

    /// <summary>Opens a connection whose every statement runs under <paramref name="tenant"/>.</summary>
    /// <param name="tenant">The tenant value, compared exactly (case and whitespace matter) with the tenant column.</param>
    /// <param name="cancellationToken">Cancels opening the connection.</param>
    /// <returns>An open connection; dispose it to return the physical connection to the pool.</returns>
    /// <exception cref="ArgumentException">The tenant is empty, whitespace, contains NUL or an unpaired surrogate, or is too long.</exception>
    /// <exception cref="UnsafeRoleException">The login is a superuser or has <c>BYPASSRLS</c>.</exception>
    /// <exception cref="TenantNotFoundException">With <see cref="TenantOptions.RequireRegisteredTenant"/>: the tenant is not active in the tenant registry.</exception>
    public async ValueTask<TenantConnection> OpenAsync(string tenant, CancellationToken cancellationToken = default)
    {
        ValidateTenant(tenant);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        using var lease = DapperTenantsTelemetry.StartLease(tenant);
        Npgsql.NpgsqlConnection? inner = null;
        try
        {
            inner = await InnerDataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            if (NeedsCatalog)
            {
                var catalog = await CatalogReader.ReadAsync(inner, Options.SettingName, cancellationToken).ConfigureAwait(false);
                if (Minter is not null)
                {
                    await SignedContextCheck.RunAsync(inner, Minter, cancellationToken: cancellationToken).ConfigureAwait(false);
                }

                Learn(catalog);
                DapperTenantsTelemetry.CatalogRead(this, catalog, lease);
            }

            if (Registry is not null)
            {
                await Registry.AdmitAsync(inner, tenant, cancellationToken).ConfigureAwait(false);
            }

            var connection = new Connections.NpgsqlConnection(this, inner, tenant);
            DapperTenantsTelemetry.LeaseOpened(this, tenant, lease);
            return connection;
        }
        catch (Exception e)
        {
            DapperTenantsTelemetry.LeaseFailed(this, lease, e);
            if (inner is not null)
            {
                await inner.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Opens a connection for the tenant of the innermost open <see cref="TenantScope"/>.</summary>
    /// <returns>An open connection for <see cref="TenantScope.Current"/>.</returns>
    /// <exception cref="InvalidOperationException">No tenant scope is open in this flow.</exception>
    public TenantConnection OpenCurrent() => Open(CurrentTenant());

    /// <summary>Opens a connection for the tenant of the innermost open <see cref="TenantScope"/>.</summary>
    /// <param name="cancellationToken">Cancels opening the connection.</param>
    /// <returns>An open connection for <see cref="TenantScope.Current"/>.</returns>
    /// <exception cref="InvalidOperationException">No tenant scope is open in this flow.</exception>
    public ValueTask<TenantConnection> OpenCurrentAsync(CancellationToken cancellationToken = default)
    {
        string tenant;
        try
        {
            tenant = CurrentTenant();
        }
        catch (InvalidOperationException e)
        {
            return ValueTask.FromException<TenantConnection>(e);
        }

        return OpenAsync(tenant, cancellationToken);
    }

    /// <summary>
    /// Opens a connection for a unit of work that only reads, on a standby server when the data source has one: every
    /// statement runs under <paramref name="tenant"/>, with the same guard and policies as <see cref="Open"/>.
    /// </summary>
    /// <param name="tenant">The tenant value, compared exactly (case and whitespace matter) with the tenant column.</param>
    /// <returns>An open connection; dispose it to return the physical connection to the pool.</returns>
    /// <exception cref="ArgumentException">The tenant is empty, whitespace, contains NUL or an unpaired surrogate, or is too long.</exception>
    /// <exception cref="UnsafeRoleException">The login is a superuser or has <c>BYPASSRLS</c>.</exception>
    /// <remarks>
    /// <para>
    /// Over an <see cref="NpgsqlMultiHostDataSource"/> (a connection string with several hosts, such as
    /// <c>Host=primary,standby1,standby2</c>), the lease comes from Npgsql's
    /// <see cref="NpgsqlMultiHostDataSource.WithTargetSession"/> with <see cref="TargetSessionAttributes.PreferStandby"/>:
    /// a standby when one is reachable, else the primary, so that reads keep working while every standby is down.
    /// Over any other data source (one host, or a view already bound to one target), it opens exactly as <see cref="Open"/>.
    /// </para>
    /// <para>
    /// It routes; it does not make the lease read-only. On a standby a write fails with PostgreSQL's own error, SQL state
    /// <c>25006</c> (<c>cannot execute … in a read-only transaction</c>); when the lease is on the primary (no standby
    /// reachable, or a single host) a write succeeds, under the same policies. Use it only for work that only reads.
    /// A standby replays the primary's changes with a delay: a row just written through <see cref="Open"/> may not be
    /// visible yet. Read your own writes through <see cref="Open"/>.
    /// </para>
    /// <para>
    /// Npgsql notices a stopped standby when a statement on one of its pooled connections fails: that statement fails
    /// (retry it), and later leases go to the primary until the standby answers again (checked every
    /// <c>Host Recheck Seconds</c>, 10 by default). Isolation never depends on which server answers.
    /// </para>
    /// </remarks>
    public TenantConnection OpenReadOnly(string tenant)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return ReadOnlySource.Open(tenant);
    }

    /// <summary>
    /// Opens a connection for a unit of work that only reads, on a standby server when the data source has one: every
    /// statement runs under <paramref name="tenant"/>, with the same guard and policies as <see cref="OpenAsync"/>.
    /// </summary>
    /// <param name="tenant">The tenant value, compared exactly (case and whitespace matter) with the tenant column.</param>
    /// <param name="cancellationToken">Cancels opening the connection.</param>
    /// <returns>An open connection; dispose it to return the physical connection to the pool.</returns>
    /// <exception cref="ArgumentException">The tenant is empty, whitespace, contains NUL or an unpaired surrogate, or is too long.</exception>
    /// <exception cref="UnsafeRoleException">The login is a superuser or has <c>BYPASSRLS</c>.</exception>
    /// <remarks>Routes as <see cref="OpenReadOnly"/> does (see there): a standby when one is reachable, else the primary.</remarks>
    public ValueTask<TenantConnection> OpenReadOnlyAsync(string tenant, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return ValueTask.FromException<TenantConnection>(new ObjectDisposedException(GetType().FullName));
        }

        return ReadOnlySource.OpenAsync(tenant, cancellationToken);
    }

    /// <summary>Opens a read-only-routed connection (see <see cref="OpenReadOnly"/>) for the tenant of the innermost open <see cref="TenantScope"/>.</summary>
    /// <returns>An open connection for <see cref="TenantScope.Current"/>.</returns>
    /// <exception cref="InvalidOperationException">No tenant scope is open in this flow.</exception>
    public TenantConnection OpenCurrentReadOnly() => OpenReadOnly(CurrentTenant());

    /// <summary>Opens a read-only-routed connection (see <see cref="OpenReadOnly"/>) for the tenant of the innermost open <see cref="TenantScope"/>.</summary>
    /// <param name="cancellationToken">Cancels opening the connection.</param>
    /// <returns>An open connection for <see cref="TenantScope.Current"/>.</returns>
    /// <exception cref="InvalidOperationException">No tenant scope is open in this flow.</exception>
    public ValueTask<TenantConnection> OpenCurrentReadOnlyAsync(CancellationToken cancellationToken = default)
    {
        string tenant;
        try
        {
            tenant = CurrentTenant();
        }
        catch (InvalidOperationException e)
        {
            return ValueTask.FromException<TenantConnection>(e);
        }

        return OpenReadOnlyAsync(tenant, cancellationToken);
    }

    /// <summary>
    /// Where <see cref="OpenReadOnly"/> leases from: this data source, or over a multi-host one a second data source on
    /// Npgsql's prefer-standby view of the same pools, with the same options. It learns the catalog on its own first open,
    /// so the login check also runs against the server that answers it.
    /// </summary>
    private TenantDataSource ReadOnlySource
    {
        get
        {
            if (InnerDataSource is not NpgsqlMultiHostDataSource multiHost)
            {
                return this;
            }

            if (Volatile.Read(ref _readOnly) is { } existing)
            {
                return existing;
            }

            var created = new TenantDataSource(multiHost.WithTargetSession(TargetSessionAttributes.PreferStandby), Options, ownsDataSource: false);
            return Interlocked.CompareExchange(ref _readOnly, created, null) ?? created;
        }
    }

    private static string CurrentTenant() => TenantScope.Current ?? throw new InvalidOperationException(
        "No tenant is current: OpenCurrent needs an open TenantScope in this flow. Wrap the work in "
        + "'using (TenantScope.Begin(tenant)) { ... }', or call Open(tenant) with the tenant explicitly.");

    /// <summary>
    /// Makes the next open read again what the first open learned (the login's attributes and the protected tables).
    /// Call it after installing policies while the application runs.
    /// </summary>
    /// <remarks>Connections already open keep being guarded with what was learned before, until the next open replaces it.</remarks>
    public void RefreshCatalog()
    {
        Volatile.Write(ref _catalogStale, 1);
        DapperTenantsTelemetry.CatalogRefreshRequested(this);
        Volatile.Read(ref _readOnly)?.RefreshCatalog();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Volatile.Read(ref _readOnly)?.Dispose();
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _ownsDataSource)
        {
            InnerDataSource.Dispose();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Volatile.Read(ref _readOnly)?.Dispose();
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _ownsDataSource)
        {
            await InnerDataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The guard reads SQL as PostgreSQL does with <c>standard_conforming_strings = on</c> (the default since 9.1). With
    /// it off, a backslash escapes a quote, and a statement can hide inside what the guard takes for a string.
    /// </summary>
    /// <remarks>
    /// Read by the catalog query (the first open, and the first after <see cref="RefreshCatalog"/>), after Npgsql's lazy
    /// reset has run, so the value is the login's default, which is what can be off. Changing it in a session is refused
    /// by the guard.
    /// </remarks>
    private void RefuseNonStandardStrings(TenantCatalog catalog)
    {
        if (Options.GuardMode == TenantGuardMode.Throw && !catalog.StandardConformingStrings)
        {
            const string value = "off";
            throw new TenantIsolationException(
                $"The server session has standard_conforming_strings = {value}, so a backslash in a string literal escapes a quote and the "
                + "guard could misread where a string ends. Remove the setting from the role, database or server configuration "
                + "(ALTER ROLE … RESET standard_conforming_strings), or set TenantOptions.GuardMode = TenantGuardMode.Off.");
        }
    }

    private void Learn(TenantCatalog catalog)
    {
        RefuseNonStandardStrings(catalog);
        if ((catalog.IsSuperuser || catalog.BypassesRls) && !Options.AllowPrivilegedRole)
        {
            var what = catalog.IsSuperuser ? "a superuser" : "a role with BYPASSRLS";
            throw new UnsafeRoleException(
                $"The tenant data source logs in as '{catalog.Role}', which is {what}: PostgreSQL skips Row-Level Security for it, "
                + "so every tenant would see and write every other tenant's rows. Connect as a role created with NOSUPERUSER NOBYPASSRLS "
                + "that does not own the tables, or set TenantOptions.AllowPrivilegedRole = true if you accept that the policies do not apply.");
        }

        Volatile.Write(ref _catalogStale, 0);
        Volatile.Write(ref _catalog, catalog);
    }

    internal void ValidateTenant(string tenant) => ValidateTenant(tenant, Options.MaxTenantLength);

    /// <summary>The one validation of a tenant value, shared by the open path and <see cref="TenantRegistry"/>.</summary>
    internal static void ValidateTenant(string tenant, int maxTenantLength)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        if (tenant.Length == 0 || string.IsNullOrWhiteSpace(tenant))
        {
            throw new ArgumentException("The tenant value is empty or whitespace. Pass the tenant's identifier, for example tenants.Open(\"acme\").", nameof(tenant));
        }

        if (tenant.Length > maxTenantLength)
        {
            throw new ArgumentException(
                $"The tenant value is {tenant.Length} characters long; the limit is {maxTenantLength}. "
                + "Use a short identifier, or raise TenantOptions.MaxTenantLength.", nameof(tenant));
        }

        for (var i = 0; i < tenant.Length; i++)
        {
            var c = tenant[i];
            if (c == '\0')
            {
                throw new ArgumentException($"The tenant value contains a NUL character at position {i}; PostgreSQL text cannot hold it. Remove it.", nameof(tenant));
            }

            if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < tenant.Length && char.IsLowSurrogate(tenant[i + 1]))
                {
                    i++;
                    continue;
                }

                throw new ArgumentException($"The tenant value contains an unpaired UTF-16 surrogate at position {i}, which cannot be encoded for PostgreSQL. Pass valid Unicode text.", nameof(tenant));
            }
        }
    }

    private static void RefuseLeakingPool(string? connectionString, bool behindTransactionPooler, string paramName)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        string? reason = null;
        if (behindTransactionPooler)
        {
            reason = "TenantOptions.BehindTransactionPooler, so the pooler hands the server session to another client after every transaction";
        }
        else if (builder.NoResetOnClose)
        {
            reason = "No Reset On Close=true, so the pool does not reset a connection when it is returned";
        }
        else if (builder.Multiplexing)
        {
            reason = "Multiplexing=true, so statements of different connections share one server session";
        }

        if (reason is not null)
        {
            throw new ArgumentException(
                $"TenantContextScope.Session cannot be used with {reason}: the tenant would leak to the next user of the server session. "
                + "Use TenantContextScope.Transaction (the default), which is safe with every pooling setup.", paramName);
        }
    }
}
