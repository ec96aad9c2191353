using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Registry;

/// <summary>
/// The orders database (a FORCEd hand-written policy on <c>orders</c>: acme 1–5, globex 101–103, initech 201–202) with
/// the tenant registry installed by the real installer, acme and globex registered and initech not.
/// </summary>
public sealed class RegistryDatabase : IAsyncDisposable
{
    private RegistryDatabase(OrdersDatabase orders, TenantRegistry registry)
    {
        Orders = orders;
        Registry = registry;
    }

    public OrdersDatabase Orders { get; }

    public TenantRegistry Registry { get; }

    public NpgsqlDataSource Owner => Orders.Owner;

    public string AppRole => Orders.Database.AppRole;

    public static async Task<RegistryDatabase> CreateAsync(string prefix, TenantRegistryAccess access = TenantRegistryAccess.ReadOnly)
    {
        var orders = await OrdersDatabase.CreateAsync(prefix);
        var plan = await new PolicyInstaller(orders.Owner).UseTenantRegistry(access).GrantTo(orders.Database.AppRole).ApplyAsync();
        plan.HasErrors.ShouldBeFalse(plan.ToString());
        var registry = new TenantRegistry(orders.Owner);
        await registry.CreateAsync(OrdersDatabase.Acme);
        await registry.CreateAsync(OrdersDatabase.Globex);
        return new RegistryDatabase(orders, registry);
    }

    /// <summary>A strict data source on a manual clock, so that the tests move time instead of waiting.</summary>
    public TenantDataSource Strict(ManualClock clock, Action<TenantOptions>? options = null, Action<NpgsqlConnectionStringBuilder>? connection = null) =>
        Orders.CreateTenants(connection, o =>
        {
            o.RequireRegisteredTenant = true;
            o.RegistryClock = clock;
            options?.Invoke(o);
        });

    /// <summary>A fresh, unpooled connection as the app login (neither superuser, BYPASSRLS nor owner).</summary>
    public async Task<NpgsqlConnection> OpenAppAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Orders.Database.AppConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public ValueTask DisposeAsync() => Orders.DisposeAsync();
}

/// <summary>A clock that moves only when told, for both wall time and timestamps.</summary>
public sealed class ManualClock : TimeProvider
{
    private long _ticks = TimeSpan.FromDays(1).Ticks;

    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(Interlocked.Read(ref _ticks));

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
