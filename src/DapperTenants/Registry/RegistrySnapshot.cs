using System.Collections.Concurrent;
using Npgsql;

namespace DapperTenants.Registry;

/// <summary>
/// The registered-tenant check of one data source (<see cref="TenantOptions.RequireRegisteredTenant"/>): an in-memory
/// copy of the registry, read again lazily by the open that finds it older than the refresh interval, on the connection
/// that open just leased and before any statement of the caller's. Between refreshes an open costs a dictionary lookup.
/// </summary>
/// <remarks>
/// <para>
/// A tenant the copy does not hold costs one lookup of that tenant alone (or, with <see cref="TenantOptions.CreateIfMissing"/>,
/// the call that registers it), so a tenant created a moment ago opens at once. Those lookups are limited to
/// <see cref="UnknownLookupsPerSecond"/> per second per data source, so that a flood of made-up tenant values cannot turn
/// every open into a registry query; beyond that an unknown tenant is refused until the next refresh.
/// </para>
/// <para>
/// While one open refreshes, concurrent opens use the previous copy: a change reaches every open within the interval
/// plus the time one refresh takes.
/// </para>
/// </remarks>
internal sealed class RegistrySnapshot
{
    /// <summary>The most lookups of tenants the copy does not hold, per second and data source.</summary>
    public const int UnknownLookupsPerSecond = 20;

    private readonly TimeSpan _interval;
    private readonly bool _createIfMissing;
    private readonly TimeProvider _clock;
    private readonly Lock _limiter = new();
    private View? _view;
    private int _refreshing;
    private long _windowStart;
    private int _windowLookups;
    private long _refreshes;
    private long _lookups;

    public RegistrySnapshot(TimeSpan interval, bool createIfMissing, TimeProvider? clock)
    {
        _interval = interval;
        _createIfMissing = createIfMissing;
        _clock = clock ?? TimeProvider.System;
        _windowStart = _clock.GetTimestamp();
    }

    /// <summary>How many times the whole registry was read.</summary>
    public long Refreshes => Interlocked.Read(ref _refreshes);

    /// <summary>How many single tenants were looked up (or registered) because the copy did not hold them.</summary>
    public long Lookups => Interlocked.Read(ref _lookups);

    /// <summary>Returns when <paramref name="tenant"/> is active; else throws, and nothing has run under the tenant.</summary>
    /// <exception cref="TenantNotFoundException">The tenant is not registered, disabled or purged.</exception>
    public void Admit(NpgsqlConnection connection, string tenant)
    {
        var view = Volatile.Read(ref _view);
        try
        {
            if (StartRefresh(view))
            {
                try
                {
                    view = Load(connection);
                }
                finally
                {
                    Volatile.Write(ref _refreshing, 0);
                }
            }

            var state = view!.Find(tenant);
            if (state is null && StartLookup())
            {
                state = _createIfMissing ? CreateMissing(connection, tenant) : LookUp(connection, tenant);
                view.Learn(tenant, state);
            }

            Verdict(tenant, state);
        }
        catch (PostgresException e) when (Translate(connection, e) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>Returns when <paramref name="tenant"/> is active; else throws, and nothing has run under the tenant.</summary>
    /// <exception cref="TenantNotFoundException">The tenant is not registered, disabled or purged.</exception>
    public async ValueTask AdmitAsync(NpgsqlConnection connection, string tenant, CancellationToken cancellationToken)
    {
        var view = Volatile.Read(ref _view);
        try
        {
            if (StartRefresh(view))
            {
                try
                {
                    view = await LoadAsync(connection, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    Volatile.Write(ref _refreshing, 0);
                }
            }

            var state = view!.Find(tenant);
            if (state is null && StartLookup())
            {
                state = _createIfMissing
                    ? await CreateMissingAsync(connection, tenant, cancellationToken).ConfigureAwait(false)
                    : await LookUpAsync(connection, tenant, cancellationToken).ConfigureAwait(false);
                view.Learn(tenant, state);
            }

            Verdict(tenant, state);
        }
        catch (PostgresException e) when (Translate(connection, e) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>
    /// Whether this open reads the whole registry: always without a copy; with a stale one, only the open that wins the
    /// flag (the others go on with the stale copy).
    /// </summary>
    private bool StartRefresh(View? view)
    {
        if (view is null)
        {
            Volatile.Write(ref _refreshing, 1);
            return true;
        }

        return _clock.GetElapsedTime(view.LoadedAt) >= _interval && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0;
    }

    private bool StartLookup()
    {
        if (_createIfMissing)
        {
            return true;
        }

        lock (_limiter)
        {
            if (_clock.GetElapsedTime(_windowStart) >= TimeSpan.FromSeconds(1))
            {
                _windowStart = _clock.GetTimestamp();
                _windowLookups = 0;
            }

            return ++_windowLookups <= UnknownLookupsPerSecond;
        }
    }

    private void Verdict(string tenant, TenantState? state)
    {
        if (state != TenantState.Active)
        {
            throw RegistryMessages.Refused(tenant, state, _interval);
        }
    }

    private View Load(NpgsqlConnection connection)
    {
        var started = _clock.GetTimestamp();
        var states = new Dictionary<string, TenantState>(StringComparer.Ordinal);
        using (var command = RegistryQueries.Command(connection, RegistryQueries.All))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                states[reader.GetString(0)] = RegistryQueries.ParseState(reader.GetString(1));
            }
        }

        return Publish(states, started);
    }

    private async Task<View> LoadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var started = _clock.GetTimestamp();
        var states = new Dictionary<string, TenantState>(StringComparer.Ordinal);
        var command = RegistryQueries.Command(connection, RegistryQueries.All);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    states[reader.GetString(0)] = RegistryQueries.ParseState(reader.GetString(1));
                }
            }
        }

        return Publish(states, started);
    }

    /// <summary>Stamped with the time the read started, so the copy is never taken for fresher than it is.</summary>
    private View Publish(Dictionary<string, TenantState> states, long started)
    {
        var view = new View(states, started);
        Volatile.Write(ref _view, view);
        Interlocked.Increment(ref _refreshes);
        return view;
    }

    private TenantState? LookUp(NpgsqlConnection connection, string tenant)
    {
        Interlocked.Increment(ref _lookups);
        using var command = RegistryQueries.Command(connection, RegistryQueries.State, tenant);
        return command.ExecuteScalar() is string state ? RegistryQueries.ParseState(state) : null;
    }

    private async Task<TenantState?> LookUpAsync(NpgsqlConnection connection, string tenant, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _lookups);
        var command = RegistryQueries.Command(connection, RegistryQueries.State, tenant);
        await using (command.ConfigureAwait(false))
        {
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string state ? RegistryQueries.ParseState(state) : null;
        }
    }

    private TenantState? CreateMissing(NpgsqlConnection connection, string tenant)
    {
        Interlocked.Increment(ref _lookups);
        using var command = RegistryQueries.Command(connection, RegistryQueries.CreateMissing, tenant);
        return command.ExecuteScalar() is string state ? RegistryQueries.ParseState(state) : null;
    }

    private async Task<TenantState?> CreateMissingAsync(NpgsqlConnection connection, string tenant, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _lookups);
        var command = RegistryQueries.Command(connection, RegistryQueries.CreateMissing, tenant);
        await using (command.ConfigureAwait(false))
        {
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string state ? RegistryQueries.ParseState(state) : null;
        }
    }

    /// <summary>A missing or unreadable registry (or function) is a setup error: say so, with the fix.</summary>
    private static TenantIsolationException? Translate(NpgsqlConnection connection, PostgresException e)
    {
        var login = connection.UserName ?? "(unknown)";
        var function = e.MessageText.Contains(Catalog.RegistryNames.CreateFunction, StringComparison.Ordinal);
        return e.SqlState switch
        {
            PostgresErrorCodes.UndefinedFunction => RegistryMessages.CannotCreate(login, e),
            PostgresErrorCodes.InsufficientPrivilege when function => RegistryMessages.CannotCreate(login, e),
            PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName or PostgresErrorCodes.InsufficientPrivilege => RegistryMessages.Unreadable(login, e),
            _ => null,
        };
    }

    /// <summary>One read of the registry, plus the tenants looked up one by one since.</summary>
    private sealed class View(Dictionary<string, TenantState> states, long loadedAt)
    {
        private readonly ConcurrentDictionary<string, TenantState> _learned = new(StringComparer.Ordinal);

        public long LoadedAt { get; } = loadedAt;

        public TenantState? Find(string tenant) =>
            states.TryGetValue(tenant, out var state) || _learned.TryGetValue(tenant, out state) ? state : null;

        public void Learn(string tenant, TenantState? state)
        {
            if (state is { } known)
            {
                _learned[tenant] = known;
            }
        }
    }
}
