using DapperTenants.Registry;
using Npgsql;

namespace DapperTenants;

/// <content>The asynchronous twins.</content>
public sealed partial class TenantRegistry
{
    /// <summary>Registers a new, active tenant.</summary>
    /// <param name="tenant">The tenant value, stored exactly as given.</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns>The registered tenant.</returns>
    /// <exception cref="ArgumentException">The tenant value is invalid (as for <see cref="TenantDataSource.Open"/>).</exception>
    /// <exception cref="TenantAlreadyExistsException">The registry already holds the tenant, in any state.</exception>
    public async Task<TenantInfo> CreateAsync(string tenant, CancellationToken cancellationToken = default)
    {
        Validate(tenant);
        var connection = await _ownerDataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await SingleAsync(connection, RegistryQueries.Insert, cancellationToken, tenant).ConfigureAwait(false)
                ?? throw RegistryMessages.AlreadyExists(tenant, (await FindAsync(connection, tenant, cancellationToken).ConfigureAwait(false))?.State ?? TenantState.Active);
        }
    }

    /// <summary>Disables a tenant: data sources with <see cref="TenantOptions.RequireRegisteredTenant"/> stop opening it within their refresh interval. Its data is kept.</summary>
    /// <param name="tenant">The tenant value.</param>
    /// <param name="reason">Why, for the operators who read the registry later: 1 to 1000 characters. Never shown to the tenant's connections.</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns>The tenant, disabled. Disabling a disabled tenant changes nothing (its first reason and time stay).</returns>
    /// <exception cref="ArgumentException">The tenant value or the reason is invalid.</exception>
    /// <exception cref="TenantNotFoundException">The registry does not hold the tenant.</exception>
    /// <exception cref="InvalidOperationException">The tenant is purged.</exception>
    public async Task<TenantInfo> DisableAsync(string tenant, string reason, CancellationToken cancellationToken = default)
    {
        Validate(tenant);
        ValidateReason(reason);
        var connection = await _ownerDataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await SingleAsync(connection, RegistryQueries.Disable, cancellationToken, tenant, reason).ConfigureAwait(false)
                ?? Unchanged(await FindAsync(connection, tenant, cancellationToken).ConfigureAwait(false), tenant, "disabled");
        }
    }

    /// <summary>Enables a disabled tenant again: data sources open it again within their refresh interval.</summary>
    /// <param name="tenant">The tenant value.</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns>The tenant, active. Enabling an active tenant changes nothing.</returns>
    /// <exception cref="ArgumentException">The tenant value is invalid.</exception>
    /// <exception cref="TenantNotFoundException">The registry does not hold the tenant.</exception>
    /// <exception cref="InvalidOperationException">The tenant is purged.</exception>
    public async Task<TenantInfo> EnableAsync(string tenant, CancellationToken cancellationToken = default)
    {
        Validate(tenant);
        var connection = await _ownerDataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await SingleAsync(connection, RegistryQueries.Enable, cancellationToken, tenant).ConfigureAwait(false)
                ?? Unchanged(await FindAsync(connection, tenant, cancellationToken).ConfigureAwait(false), tenant, "enabled");
        }
    }

    /// <summary>Whether the registry holds the tenant, in any state (see <see cref="FindAsync(string, CancellationToken)"/> for the state).</summary>
    /// <param name="tenant">The tenant value, compared exactly.</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns><see langword="true"/> when the tenant is registered, active, disabled or purged.</returns>
    /// <exception cref="ArgumentException">The tenant value is invalid.</exception>
    public async Task<bool> ExistsAsync(string tenant, CancellationToken cancellationToken = default) =>
        await FindAsync(tenant, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>The registry's row for a tenant.</summary>
    /// <param name="tenant">The tenant value, compared exactly.</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns>The tenant, or <see langword="null"/> when the registry does not hold it.</returns>
    /// <exception cref="ArgumentException">The tenant value is invalid.</exception>
    public async Task<TenantInfo?> FindAsync(string tenant, CancellationToken cancellationToken = default)
    {
        Validate(tenant);
        var connection = await _ownerDataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await FindAsync(connection, tenant, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One page of tenants, ordered by the bytes of their values.</summary>
    /// <param name="state">Only tenants in this state; <see langword="null"/> for all.</param>
    /// <param name="after">The <see cref="TenantPage.Next"/> of the previous page; <see langword="null"/> for the first page.</param>
    /// <param name="pageSize">At most this many tenants: 1 to <see cref="MaxPageSize"/>.</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns>The page, and where the next one starts.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pageSize"/> or <paramref name="state"/> is out of range.</exception>
    public async Task<TenantPage> ListAsync(TenantState? state = null, string? after = null, int pageSize = 100, CancellationToken cancellationToken = default)
    {
        var stateName = ValidateList(state, pageSize);
        var connection = await _ownerDataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = RegistryQueries.Command(connection, RegistryQueries.List, stateName, after, pageSize + 1);
            await using (command.ConfigureAwait(false))
            {
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    var tenants = new List<TenantInfo>();
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        tenants.Add(RegistryQueries.Read(reader));
                    }

                    return Page(tenants, pageSize);
                }
            }
        }
    }

    private static async Task<TenantInfo?> SingleAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object?[] values)
    {
        var command = RegistryQueries.Command(connection, sql, values);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? RegistryQueries.Read(reader) : null;
            }
        }
    }

    private static Task<TenantInfo?> FindAsync(NpgsqlConnection connection, string tenant, CancellationToken cancellationToken) =>
        SingleAsync(connection, RegistryQueries.Find, cancellationToken, tenant);
}
