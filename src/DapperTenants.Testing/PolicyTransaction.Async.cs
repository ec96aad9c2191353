using Npgsql;

namespace DapperTenants.Testing;

public sealed partial class PolicyTransaction
{
    /// <summary>Opens a connection from <paramref name="appDataSource"/> and begins the transaction, with no tenant set.</summary>
    /// <param name="appDataSource">A data source for the application's login.</param>
    /// <param name="options">The library's options; only <see cref="TenantOptions.SettingName"/> is used. Default: the default options.</param>
    /// <param name="cancellationToken">Cancels opening and beginning.</param>
    /// <returns>The transaction; dispose it to roll back and return the connection.</returns>
    /// <exception cref="PolicyAssertionException">The login is a superuser or has <c>BYPASSRLS</c>.</exception>
    public static async Task<PolicyTransaction> BeginAsync(NpgsqlDataSource appDataSource, TenantOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(appDataSource);
        var settingName = (options ?? new TenantOptions()).SettingName;
        var connection = await appDataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var command = new NpgsqlCommand(LoginQuery, connection);
            await using (command.ConfigureAwait(false))
            {
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    ThrowIfPrivileged(reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2));
                }
            }

            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var policy = new PolicyTransaction(connection, transaction, settingName);
            await policy.SetContextAsync(string.Empty, cancellationToken).ConfigureAwait(false);
            return policy;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs the following statements as <paramref name="tenant"/>: <c>set_config(setting, tenant, true)</c>.</summary>
    /// <param name="tenant">The tenant value, as the application would pass it to <see cref="TenantDataSource.OpenAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns>A task that completes when the tenant is set.</returns>
    public async Task ActAsAsync(string tenant, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenant);
        await SetContextAsync(tenant, cancellationToken).ConfigureAwait(false);
        Tenant = tenant;
    }

    /// <summary>Runs the following statements with no tenant (the setting empty, as after a tenant's transaction).</summary>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns>A task that completes when the tenant is cleared.</returns>
    public async Task ActAsNoTenantAsync(CancellationToken cancellationToken = default)
    {
        await SetContextAsync(string.Empty, cancellationToken).ConfigureAwait(false);
        Tenant = null;
    }

    /// <summary>Runs a statement as the current tenant and keeps its effect (to seed rows); not an assertion.</summary>
    /// <param name="sql">The statement; <c>$1</c>, <c>$2</c> … refer to <paramref name="parameters"/>.</param>
    /// <param name="parameters">Positional parameter values, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns>The number of rows affected.</returns>
    /// <exception cref="PostgresException">The statement failed; the transaction stays usable.</exception>
    public async Task<int> ExecuteAsync(string sql, IReadOnlyList<object?>? parameters = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        ThrowIfDisposed();
        await _transaction.SaveAsync(Savepoint, cancellationToken).ConfigureAwait(false);
        try
        {
            var command = Command(sql, parameters);
            await using (command.ConfigureAwait(false))
            {
                var affected = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await _transaction.ReleaseAsync(Savepoint, cancellationToken).ConfigureAwait(false);
                return affected;
            }
        }
        catch (PostgresException)
        {
            await _transaction.RollbackAsync(Savepoint, cancellationToken).ConfigureAwait(false);
            await _transaction.ReleaseAsync(Savepoint, cancellationToken).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Asserts that a query returns exactly <paramref name="expectedRows"/> rows as the current tenant.</summary>
    /// <param name="expectedRows">The number of rows the tenant must see.</param>
    /// <param name="sql">The query; <c>$1</c>, <c>$2</c> … refer to <paramref name="parameters"/>.</param>
    /// <param name="parameters">Positional parameter values, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the statements.</param>
    /// <returns>A task that completes when the assertion held.</returns>
    /// <exception cref="PolicyAssertionException">It returned another number of rows, or failed.</exception>
    public async Task AssertSeesAsync(int expectedRows, string sql, IReadOnlyList<object?>? parameters = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedRows);
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        CheckSees(expectedRows, sql, await RunAsync(sql, parameters, query: true, withoutTenant: false, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Asserts that a query returns no row with no tenant set; the current tenant is kept for what follows.</summary>
    /// <param name="sql">The query; <c>$1</c>, <c>$2</c> … refer to <paramref name="parameters"/>.</param>
    /// <param name="parameters">Positional parameter values, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the statements.</param>
    /// <returns>A task that completes when the assertion held.</returns>
    /// <exception cref="PolicyAssertionException">It returned rows, or failed.</exception>
    public async Task AssertSeesNothingWithoutTenantAsync(string sql, IReadOnlyList<object?>? parameters = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        CheckSeesNothingWithoutTenant(sql, await RunAsync(sql, parameters, query: true, withoutTenant: true, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Asserts that row-level security rejects a write as the current tenant: SQL state 42501.</summary>
    /// <param name="sql">The INSERT, UPDATE or upsert; <c>$1</c>, <c>$2</c> … refer to <paramref name="parameters"/>.</param>
    /// <param name="parameters">Positional parameter values, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the statements.</param>
    /// <returns>A task that completes when the assertion held.</returns>
    /// <exception cref="PolicyAssertionException">It succeeded, or failed with another error.</exception>
    public async Task AssertWriteRejectedAsync(string sql, IReadOnlyList<object?>? parameters = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        CheckWriteRejected(sql, await RunAsync(sql, parameters, query: false, withoutTenant: false, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Asserts that an UPDATE or DELETE affects no row as the current tenant: the policy hides the rows it aims at.
    /// </summary>
    /// <param name="sql">The statement; <c>$1</c>, <c>$2</c> … refer to <paramref name="parameters"/>.</param>
    /// <param name="parameters">Positional parameter values, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the statements.</param>
    /// <returns>A task that completes when the assertion held.</returns>
    /// <exception cref="PolicyAssertionException">It affected rows, or failed.</exception>
    public async Task AssertFilteredAsync(string sql, IReadOnlyList<object?>? parameters = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        CheckFiltered(sql, await RunAsync(sql, parameters, query: false, withoutTenant: false, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Asserts that a write affects exactly <paramref name="expectedRows"/> rows as the current tenant (then undoes it).</summary>
    /// <param name="expectedRows">The number of rows the write must affect.</param>
    /// <param name="sql">The statement; <c>$1</c>, <c>$2</c> … refer to <paramref name="parameters"/>.</param>
    /// <param name="parameters">Positional parameter values, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the statements.</param>
    /// <returns>A task that completes when the assertion held.</returns>
    /// <exception cref="PolicyAssertionException">It affected another number of rows, or failed.</exception>
    public async Task AssertAffectsAsync(int expectedRows, string sql, IReadOnlyList<object?>? parameters = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedRows);
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        CheckAffects(expectedRows, sql, await RunAsync(sql, parameters, query: false, withoutTenant: false, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Rolls the transaction back and returns the connection to its pool.</summary>
    /// <returns>A task that completes when both are done.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _transaction.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<Outcome> RunAsync(string sql, IReadOnlyList<object?>? parameters, bool query, bool withoutTenant, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        await _transaction.SaveAsync(Savepoint, cancellationToken).ConfigureAwait(false);
        Outcome outcome;
        try
        {
            if (withoutTenant)
            {
                var context = ContextCommand(string.Empty);
                await using (context.ConfigureAwait(false))
                {
                    await context.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            var command = Command(sql, parameters);
            await using (command.ConfigureAwait(false))
            {
                if (query)
                {
                    var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        long rows = 0;
                        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                        {
                            rows++;
                        }

                        outcome = new Outcome(rows, null);
                    }
                }
                else
                {
                    outcome = new Outcome(await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false), null);
                }
            }
        }
        catch (PostgresException ex)
        {
            outcome = new Outcome(0, ex);
        }

        // Undoes the statement and, for the no-tenant check, the emptied setting: the tenant is the one set before.
        await _transaction.RollbackAsync(Savepoint, cancellationToken).ConfigureAwait(false);
        await _transaction.ReleaseAsync(Savepoint, cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    private async Task SetContextAsync(string tenant, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var command = ContextCommand(tenant);
        await using (command.ConfigureAwait(false))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
