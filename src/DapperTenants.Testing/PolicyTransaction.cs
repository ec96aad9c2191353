using System.Globalization;
using Npgsql;

namespace DapperTenants.Testing;

/// <summary>
/// A transaction on the application's login in which to test row-level security policies: act as a tenant, seed
/// rows, and assert what each tenant sees and may write. Disposing it rolls everything back, so a test leaves no
/// rows behind. Framework-neutral: a failed assertion throws <see cref="PolicyAssertionException"/>.
/// </summary>
/// <remarks>
/// <para>
/// The tenant context is set exactly as <see cref="TenantDataSource"/> sets it in its default
/// <see cref="TenantContextScope.Transaction"/> scope: <c>set_config(setting, tenant, true)</c> inside the
/// transaction. "No tenant" is the empty setting, which is what a pooled session shows once a tenant's transaction
/// has ended; the transaction starts with no tenant.
/// </para>
/// <para>
/// Statements go to PostgreSQL through Npgsql, without the library's guard, so that the policies alone are tested.
/// Each assertion runs its statement in a savepoint that is rolled back afterwards: an assertion never changes the
/// data, and a statement that fails leaves the transaction usable.
/// </para>
/// <para>
/// Begin it on the application's login (<c>NOSUPERUSER NOBYPASSRLS</c>, not the owner of the tables): row-level
/// security never applies to a superuser or a <c>BYPASSRLS</c> login, so those are refused. SQL state 42501 also
/// means a missing privilege: pair each <c>AssertWriteRejected</c> with a test that the tenant's own write succeeds
/// (<c>AssertAffects</c>). Not thread-safe: one test, one transaction.
/// </para>
/// </remarks>
public sealed partial class PolicyTransaction : IDisposable, IAsyncDisposable
{
    private const string Savepoint = "dapper_tenants_assertion";
    private const string LoginQuery = "select current_user::text, rolsuper, rolbypassrls from pg_roles where rolname = current_user";
    private const string ContextStatement = "select set_config($1, $2, true)";

    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private int _disposed;

    private PolicyTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction, string settingName)
    {
        _connection = connection;
        _transaction = transaction;
        SettingName = settingName;
    }

    /// <summary>The connection, for statements of the test's own (Dapper works on it); they run in <see cref="Transaction"/>.</summary>
    /// <remarks>A statement that fails on it directly aborts the transaction; <see cref="Execute"/> does not.</remarks>
    public NpgsqlConnection Connection => _connection;

    /// <summary>The transaction everything runs in, rolled back on dispose.</summary>
    public NpgsqlTransaction Transaction => _transaction;

    /// <summary>The custom setting the tenant is written to, from <see cref="TenantOptions.SettingName"/>.</summary>
    public string SettingName { get; }

    /// <summary>The tenant the statements run as.</summary>
    /// <value><see langword="null"/> when no tenant is set (at the start, and after <see cref="ActAsNoTenant"/>).</value>
    public string? Tenant { get; private set; }

    /// <summary>Opens a connection from <paramref name="appDataSource"/> and begins the transaction, with no tenant set.</summary>
    /// <param name="appDataSource">A data source for the application's login.</param>
    /// <param name="options">The library's options; only <see cref="TenantOptions.SettingName"/> is used. Default: the default options.</param>
    /// <returns>The transaction; dispose it to roll back and return the connection.</returns>
    /// <exception cref="PolicyAssertionException">The login is a superuser or has <c>BYPASSRLS</c>.</exception>
    public static PolicyTransaction Begin(NpgsqlDataSource appDataSource, TenantOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(appDataSource);
        var settingName = (options ?? new TenantOptions()).SettingName;
        var connection = appDataSource.OpenConnection();
        try
        {
            using (var command = new NpgsqlCommand(LoginQuery, connection))
            using (var reader = command.ExecuteReader())
            {
                reader.Read();
                ThrowIfPrivileged(reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2));
            }

            var transaction = connection.BeginTransaction();
            var policy = new PolicyTransaction(connection, transaction, settingName);
            policy.SetContext(string.Empty);
            return policy;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Runs the following statements as <paramref name="tenant"/>: <c>set_config(setting, tenant, true)</c>.</summary>
    /// <param name="tenant">The tenant value, as the application would pass it to <see cref="TenantDataSource.Open"/>.</param>
    public void ActAs(string tenant)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenant);
        SetContext(tenant);
        Tenant = tenant;
    }

    /// <summary>Runs the following statements with no tenant (the setting empty, as after a tenant's transaction).</summary>
    public void ActAsNoTenant()
    {
        SetContext(string.Empty);
        Tenant = null;
    }

    /// <summary>Runs a statement as the current tenant and keeps its effect (to seed rows); not an assertion.</summary>
    /// <param name="sql">The statement; <c>$1</c>, <c>$2</c> … refer to <paramref name="parameters"/>.</param>
    /// <param name="parameters">Positional parameter values, or <see langword="null"/>.</param>
    /// <returns>The number of rows affected.</returns>
    /// <exception cref="PostgresException">The statement failed; the transaction stays usable.</exception>
    public int Execute(string sql, IReadOnlyList<object?>? parameters = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        ThrowIfDisposed();
        _transaction.Save(Savepoint);
        try
        {
            using var command = Command(sql, parameters);
            var affected = command.ExecuteNonQuery();
            _transaction.Release(Savepoint);
            return affected;
        }
        catch (PostgresException)
        {
            _transaction.Rollback(Savepoint);
            _transaction.Release(Savepoint);
            throw;
        }
    }

    /// <summary>Asserts that a query returns exactly <paramref name="expectedRows"/> rows as the current tenant.</summary>
    /// <param name="expectedRows">The number of rows the tenant must see.</param>
    /// <param name="sql">The query; <c>$1</c>, <c>$2</c> … refer to <paramref name="parameters"/>.</param>
    /// <param name="parameters">Positional parameter values, or <see langword="null"/>.</param>
    /// <exception cref="PolicyAssertionException">It returned another number of rows, or failed.</exception>
    public void AssertSees(int expectedRows, string sql, IReadOnlyList<object?>? parameters = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedRows);
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        CheckSees(expectedRows, sql, Run(sql, parameters, query: true, withoutTenant: false));
    }

    /// <summary>Asserts that a query returns no row with no tenant set; the current tenant is kept for what follows.</summary>
    /// <param name="sql">The query; <c>$1</c>, <c>$2</c> … refer to <paramref name="parameters"/>.</param>
    /// <param name="parameters">Positional parameter values, or <see langword="null"/>.</param>
    /// <exception cref="PolicyAssertionException">It returned rows, or failed.</exception>
    public void AssertSeesNothingWithoutTenant(string sql, IReadOnlyList<object?>? parameters = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        CheckSeesNothingWithoutTenant(sql, Run(sql, parameters, query: true, withoutTenant: true));
    }

    /// <summary>Asserts that row-level security rejects a write as the current tenant: SQL state 42501.</summary>
    /// <param name="sql">The INSERT, UPDATE or upsert; <c>$1</c>, <c>$2</c> … refer to <paramref name="parameters"/>.</param>
    /// <param name="parameters">Positional parameter values, or <see langword="null"/>.</param>
    /// <exception cref="PolicyAssertionException">It succeeded, or failed with another error.</exception>
    public void AssertWriteRejected(string sql, IReadOnlyList<object?>? parameters = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        CheckWriteRejected(sql, Run(sql, parameters, query: false, withoutTenant: false));
    }

    /// <summary>
    /// Asserts that an UPDATE or DELETE affects no row as the current tenant: the policy hides the rows it aims at.
    /// </summary>
    /// <param name="sql">The statement; <c>$1</c>, <c>$2</c> … refer to <paramref name="parameters"/>.</param>
    /// <param name="parameters">Positional parameter values, or <see langword="null"/>.</param>
    /// <exception cref="PolicyAssertionException">It affected rows, or failed.</exception>
    public void AssertFiltered(string sql, IReadOnlyList<object?>? parameters = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        CheckFiltered(sql, Run(sql, parameters, query: false, withoutTenant: false));
    }

    /// <summary>Asserts that a write affects exactly <paramref name="expectedRows"/> rows as the current tenant (then undoes it).</summary>
    /// <param name="expectedRows">The number of rows the write must affect.</param>
    /// <param name="sql">The statement; <c>$1</c>, <c>$2</c> … refer to <paramref name="parameters"/>.</param>
    /// <param name="parameters">Positional parameter values, or <see langword="null"/>.</param>
    /// <exception cref="PolicyAssertionException">It affected another number of rows, or failed.</exception>
    public void AssertAffects(int expectedRows, string sql, IReadOnlyList<object?>? parameters = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedRows);
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        CheckAffects(expectedRows, sql, Run(sql, parameters, query: false, withoutTenant: false));
    }

    /// <summary>Rolls the transaction back and returns the connection to its pool.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _transaction.Dispose();
        _connection.Dispose();
    }

    private Outcome Run(string sql, IReadOnlyList<object?>? parameters, bool query, bool withoutTenant)
    {
        ThrowIfDisposed();
        _transaction.Save(Savepoint);
        Outcome outcome;
        try
        {
            if (withoutTenant)
            {
                using var context = ContextCommand(string.Empty);
                context.ExecuteNonQuery();
            }

            using var command = Command(sql, parameters);
            if (query)
            {
                using var reader = command.ExecuteReader();
                long rows = 0;
                while (reader.Read())
                {
                    rows++;
                }

                outcome = new Outcome(rows, null);
            }
            else
            {
                outcome = new Outcome(command.ExecuteNonQuery(), null);
            }
        }
        catch (PostgresException ex)
        {
            outcome = new Outcome(0, ex);
        }

        // Undoes the statement and, for the no-tenant check, the emptied setting: the tenant is the one set before.
        _transaction.Rollback(Savepoint);
        _transaction.Release(Savepoint);
        return outcome;
    }

    private void SetContext(string tenant)
    {
        ThrowIfDisposed();
        using var command = ContextCommand(tenant);
        command.ExecuteNonQuery();
    }

    private NpgsqlCommand ContextCommand(string tenant) => new(ContextStatement, _connection, _transaction)
    {
        Parameters = { new NpgsqlParameter { Value = SettingName }, new NpgsqlParameter { Value = tenant } },
    };

    private NpgsqlCommand Command(string sql, IReadOnlyList<object?>? parameters)
    {
        var command = new NpgsqlCommand(sql, _connection, _transaction);
        foreach (var value in parameters ?? [])
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private static void ThrowIfPrivileged(string login, bool superuser, bool bypassRls)
    {
        if (superuser || bypassRls)
        {
            throw new PolicyAssertionException(
                $"The login '{login}' {(superuser ? "is a superuser" : "has BYPASSRLS")}: row-level security never applies to it, "
                + "so policy assertions would prove nothing. Begin the policy transaction on the application's login "
                + "(NOSUPERUSER NOBYPASSRLS, not the owner of the tables).");
        }
    }

    private string As => Tenant is null ? "with no tenant" : $"as tenant '{Tenant}'";

    private void CheckSees(int expected, string sql, Outcome outcome)
    {
        if (outcome.Error is { } error)
        {
            throw new PolicyAssertionException($"Expected the query to return {Rows(expected)} {As}, but it failed with {Describe(error)}. Query: {sql}", error);
        }

        if (outcome.Rows != expected)
        {
            var hint = outcome.Rows > expected
                ? "If the extra rows belong to other tenants, the table's row-level security is off, not forced, or widened by another policy."
                : $"Check the rows the test seeded, and that the policy compares the tenant column with the setting '{SettingName}'.";
            throw new PolicyAssertionException($"Expected the query to return {Rows(expected)} {As}, but it returned {Rows(outcome.Rows)}. Query: {sql} {hint}");
        }
    }

    private void CheckSeesNothingWithoutTenant(string sql, Outcome outcome)
    {
        const string Expected = "Expected the query to return no row with no tenant set";
        if (outcome.Error is { } error)
        {
            throw new PolicyAssertionException(
                $"{Expected}, but it failed with {Describe(error)}. Query: {sql} A policy must match nothing, without an error, when the tenant "
                + $"is unset: compare the tenant column with NULLIF(current_setting('{SettingName}', true), '').", error);
        }

        if (outcome.Rows != 0)
        {
            throw new PolicyAssertionException(
                $"{Expected}, but it returned {Rows(outcome.Rows)}. Query: {sql} An unset tenant must match no row: check that the table has "
                + $"row-level security enabled and forced, and that its policy compares the tenant column with NULLIF(current_setting('{SettingName}', true), '').");
        }
    }

    private void CheckWriteRejected(string sql, Outcome outcome)
    {
        var expected = $"Expected row-level security to reject the write {As} with SQL state 42501";
        if (outcome.Error is { } error)
        {
            if (error.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                return;
            }

            throw new PolicyAssertionException(
                $"{expected}, but it failed with {Describe(error)}. Statement: {sql} Make the statement valid apart from its tenant, so that only the policy can reject it.",
                error);
        }

        throw new PolicyAssertionException(
            $"{expected}, but it succeeded and affected {Rows(outcome.Rows)}. Statement: {sql} Check that the table has row-level security enabled "
            + $"and forced, and that every policy's WITH CHECK compares the tenant column with the setting '{SettingName}'.");
    }

    private void CheckFiltered(string sql, Outcome outcome)
    {
        var expected = $"Expected the statement to affect no row {As}";
        if (outcome.Error is { } error)
        {
            throw new PolicyAssertionException($"{expected}, but it failed with {Describe(error)}. Statement: {sql}", error);
        }

        if (outcome.Rows != 0)
        {
            throw new PolicyAssertionException(
                $"{expected}, but it affected {Rows(outcome.Rows)}. Statement: {sql} Check that the table has row-level security enabled and forced, "
                + $"and that every policy's USING clause compares the tenant column with the setting '{SettingName}'.");
        }
    }

    private void CheckAffects(int expected, string sql, Outcome outcome)
    {
        if (outcome.Error is { } error)
        {
            throw new PolicyAssertionException($"Expected the statement to affect {Rows(expected)} {As}, but it failed with {Describe(error)}. Statement: {sql}", error);
        }

        if (outcome.Rows != expected)
        {
            throw new PolicyAssertionException($"Expected the statement to affect {Rows(expected)} {As}, but it affected {Rows(outcome.Rows)}. Statement: {sql}");
        }
    }

    private static string Rows(long count) => count == 1 ? "1 row" : count.ToString(CultureInfo.InvariantCulture) + " rows";

    private static string Describe(PostgresException error) => $"{error.SqlState}: {error.MessageText}";

    private readonly record struct Outcome(long Rows, PostgresException? Error);
}
