using System.Data.Common;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Parity;

/// <summary>One side of a parity case: the plain Npgsql reference or the tenant connection, for tenant acme.</summary>
public sealed class ParitySide : IAsyncDisposable
{
    private readonly Func<Task<DbConnection>> _open;
    private readonly List<DbConnection> _opened = [];

    internal ParitySide(bool isTenant, OrdersDatabase database, Func<Task<DbConnection>> open)
    {
        IsTenant = isTenant;
        Database = database;
        _open = open;
    }

    /// <summary>Whether this side is the <see cref="TenantConnection"/> (otherwise the <see cref="Npgsql.NpgsqlConnection"/> reference).</summary>
    public bool IsTenant { get; }

    public string Name => IsTenant ? "TenantConnection" : "NpgsqlConnection";

    public OrdersDatabase Database { get; }

    /// <summary>The open connection the case runs on.</summary>
    public DbConnection Connection { get; private set; } = null!;

    /// <summary>Opens another connection of this side (for acme), in the fixture's sync or async way; disposed with the side.</summary>
    public async Task<DbConnection> OpenAsync()
    {
        var connection = await _open();
        _opened.Add(connection);
        return connection;
    }

    /// <summary>An order id no other case uses: each side writes its own rows, so a case reports what it did, never the ids.</summary>
    public int NewId() => Database.NextId();

    internal async Task StartAsync() => Connection = await OpenAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _opened)
        {
            await connection.DisposeAsync();
        }
    }
}
