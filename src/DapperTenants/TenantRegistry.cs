using DapperTenants.Registry;
using Npgsql;

namespace DapperTenants;

/// <summary>
/// The tenant registry (<see cref="PolicyInstaller.UseTenantRegistry()"/>): which tenants exist and whether each may open
/// connections. Create, disable, enable, list and look up tenants, as the tables' owner; purge a disabled tenant's data
/// (<see cref="PlanPurgeAsync"/>, <see cref="PurgeAsync(TenantPurgePlan, IProgress{TenantPurgeProgress}?, CancellationToken)"/>),
/// export it (<see cref="ExportAsync"/>) and import an export (<see cref="ImportAsync"/>).
/// </summary>
/// <remarks>
/// <para>
/// Build it from the owner's <see cref="NpgsqlDataSource"/>, never the application's login: the app login may only
/// read the registry (the installer grants it <c>SELECT</c> and nothing else), so every write here fails for it with
/// PostgreSQL's <c>42501</c>.
/// </para>
/// <para>
/// Tenant values are validated exactly as <see cref="TenantDataSource.Open"/> validates them, with the
/// <see cref="TenantOptions.MaxTenantLength"/> of the options given here, and stored exactly as given: <c>acme</c>,
/// <c>ACME</c>, <c>acme </c> and a decomposed <c>café</c> are four tenants, as they are four tenants to the policies.
/// </para>
/// <para>
/// Data sources with <see cref="TenantOptions.RequireRegisteredTenant"/> see a change within their
/// <see cref="TenantOptions.RegistryRefreshInterval"/>: a created tenant at once, a disabled one within the interval.
/// Disabling refuses new opens only: a connection already open for the tenant finishes its lease.
/// </para>
/// </remarks>
public sealed partial class TenantRegistry
{
    /// <summary>The longest reason <see cref="DisableAsync"/> accepts, in UTF-16 code units: 1000.</summary>
    public const int MaxReasonLength = 1000;

    /// <summary>The largest page <see cref="ListAsync"/> returns: 10,000.</summary>
    public const int MaxPageSize = 10_000;

    private readonly NpgsqlDataSource _ownerDataSource;
    private readonly int _maxTenantLength;
    private readonly TenantOptions _options;

    /// <summary>Creates a registry that connects through <paramref name="ownerDataSource"/> (the tables' owner).</summary>
    /// <param name="ownerDataSource">A data source for the role that owns the registry. The caller keeps ownership of it.</param>
    /// <param name="options">
    /// The options whose <see cref="TenantOptions.MaxTenantLength"/> bounds tenant values, and whose setting name and signing key
    /// the purge and the export open the tenant with: pass the application's options. <see langword="null"/> for the defaults.
    /// </param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public TenantRegistry(NpgsqlDataSource ownerDataSource, TenantOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(ownerDataSource);
        var copy = options?.Clone() ?? new TenantOptions();
        copy.Validate(nameof(options));
        _ownerDataSource = ownerDataSource;
        _maxTenantLength = copy.MaxTenantLength;

        // Purge and export open the tenant through its own policies; a disabled or purging tenant must still open there.
        copy.RequireRegisteredTenant = false;
        copy.CreateIfMissing = false;
        _options = copy;
    }

    /// <summary>Registers a new, active tenant.</summary>
    /// <param name="tenant">The tenant value, stored exactly as given.</param>
    /// <returns>The registered tenant.</returns>
    /// <exception cref="ArgumentException">The tenant value is invalid (as for <see cref="TenantDataSource.Open"/>).</exception>
    /// <exception cref="TenantAlreadyExistsException">The registry already holds the tenant, in any state.</exception>
    public TenantInfo Create(string tenant)
    {
        Validate(tenant);
        using var connection = _ownerDataSource.OpenConnection();
        return Single(connection, RegistryQueries.Insert, tenant)
            ?? throw RegistryMessages.AlreadyExists(tenant, Find(connection, tenant)?.State ?? TenantState.Active);
    }

    /// <summary>Disables a tenant: data sources with <see cref="TenantOptions.RequireRegisteredTenant"/> stop opening it within their refresh interval. Its data is kept.</summary>
    /// <param name="tenant">The tenant value.</param>
    /// <param name="reason">Why, for the operators who read the registry later: 1 to 1000 characters. Never shown to the tenant's connections.</param>
    /// <returns>The tenant, disabled. Disabling a disabled tenant changes nothing (its first reason and time stay).</returns>
    /// <exception cref="ArgumentException">The tenant value or the reason is invalid.</exception>
    /// <exception cref="TenantNotFoundException">The registry does not hold the tenant.</exception>
    /// <exception cref="InvalidOperationException">The tenant is purged.</exception>
    public TenantInfo Disable(string tenant, string reason)
    {
        Validate(tenant);
        ValidateReason(reason);
        using var connection = _ownerDataSource.OpenConnection();
        return Single(connection, RegistryQueries.Disable, tenant, reason) ?? Unchanged(Find(connection, tenant), tenant, "disabled");
    }

    /// <summary>Enables a disabled tenant again: data sources open it again within their refresh interval.</summary>
    /// <param name="tenant">The tenant value.</param>
    /// <returns>The tenant, active. Enabling an active tenant changes nothing.</returns>
    /// <exception cref="ArgumentException">The tenant value is invalid.</exception>
    /// <exception cref="TenantNotFoundException">The registry does not hold the tenant.</exception>
    /// <exception cref="InvalidOperationException">The tenant is purged.</exception>
    public TenantInfo Enable(string tenant)
    {
        Validate(tenant);
        using var connection = _ownerDataSource.OpenConnection();
        return Single(connection, RegistryQueries.Enable, tenant) ?? Unchanged(Find(connection, tenant), tenant, "enabled");
    }

    /// <summary>Whether the registry holds the tenant, in any state (see <see cref="Find(string)"/> for the state).</summary>
    /// <param name="tenant">The tenant value, compared exactly.</param>
    /// <returns><see langword="true"/> when the tenant is registered, active, disabled or purged.</returns>
    /// <exception cref="ArgumentException">The tenant value is invalid.</exception>
    public bool Exists(string tenant) => Find(tenant) is not null;

    /// <summary>The registry's row for a tenant.</summary>
    /// <param name="tenant">The tenant value, compared exactly.</param>
    /// <returns>The tenant, or <see langword="null"/> when the registry does not hold it.</returns>
    /// <exception cref="ArgumentException">The tenant value is invalid.</exception>
    public TenantInfo? Find(string tenant)
    {
        Validate(tenant);
        using var connection = _ownerDataSource.OpenConnection();
        return Find(connection, tenant);
    }

    /// <summary>One page of tenants, ordered by the bytes of their values.</summary>
    /// <param name="state">Only tenants in this state; <see langword="null"/> for all.</param>
    /// <param name="after">The <see cref="TenantPage.Next"/> of the previous page; <see langword="null"/> for the first page.</param>
    /// <param name="pageSize">At most this many tenants: 1 to <see cref="MaxPageSize"/>.</param>
    /// <returns>The page, and where the next one starts.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pageSize"/> or <paramref name="state"/> is out of range.</exception>
    public TenantPage List(TenantState? state = null, string? after = null, int pageSize = 100)
    {
        var stateName = ValidateList(state, pageSize);
        using var connection = _ownerDataSource.OpenConnection();
        using var command = RegistryQueries.Command(connection, RegistryQueries.List, stateName, after, pageSize + 1);
        using var reader = command.ExecuteReader();
        var tenants = new List<TenantInfo>();
        while (reader.Read())
        {
            tenants.Add(RegistryQueries.Read(reader));
        }

        return Page(tenants, pageSize);
    }

    private void Validate(string tenant) => TenantDataSource.ValidateTenant(tenant, _maxTenantLength);

    private static void ValidateReason(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (reason.Length > MaxReasonLength)
        {
            throw new ArgumentException($"The reason is {reason.Length} characters long; the limit is {MaxReasonLength}. Write a shorter one.", nameof(reason));
        }

        if (reason.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("The reason contains a NUL character; PostgreSQL text cannot hold it. Remove it.", nameof(reason));
        }
    }

    private static string? ValidateList(TenantState? state, int pageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, MaxPageSize);
        if (state is { } known && !Enum.IsDefined(known))
        {
            throw new ArgumentOutOfRangeException(nameof(state), state, "Use TenantState.Active, Disabled, Purging or Purged, or null for every state.");
        }

        return state is { } s ? RegistryQueries.StateName(s) : null;
    }

    private static TenantPage Page(List<TenantInfo> tenants, int pageSize)
    {
        if (tenants.Count <= pageSize)
        {
            return new TenantPage(tenants, null);
        }

        tenants.RemoveAt(pageSize);
        return new TenantPage(tenants, tenants[^1].Tenant);
    }

    /// <summary>Why an update touched no row: the tenant is missing, purged, or already in the wanted state (returned as it is).</summary>
    private static TenantInfo Unchanged(TenantInfo? current, string tenant, string action) => current switch
    {
        null => throw RegistryMessages.NotRegistered(tenant),
        { State: TenantState.Purged } => throw RegistryMessages.Purged(tenant, action),
        { State: TenantState.Purging } when action == "enabled" => throw RegistryMessages.Purging(tenant, action),
        _ => current,
    };

    private static TenantInfo? Single(NpgsqlConnection connection, string sql, params object?[] values)
    {
        using var command = RegistryQueries.Command(connection, sql, values);
        using var reader = command.ExecuteReader();
        return reader.Read() ? RegistryQueries.Read(reader) : null;
    }

    private static TenantInfo? Find(NpgsqlConnection connection, string tenant) => Single(connection, RegistryQueries.Find, tenant);
}
