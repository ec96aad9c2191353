namespace DapperTenants.Connections;

/// <summary>
/// The <see cref="ExecutionKit"/> a <see cref="TenantCommand"/> or <see cref="TenantBatch"/> holds: rented from the
/// data source of the connection it runs on, kept while it stays on that data source. A mutable struct held in a
/// field (never copied), so holding a kit allocates nothing.
/// </summary>
internal struct KitLease
{
    private ExecutionKit? _kit;

    /// <summary>The kit of <paramref name="connection"/>'s data source (a command may move to a connection of another data source).</summary>
    public ExecutionKit For(TenantConnection connection)
    {
        var pool = connection.Source.Kits;
        if (_kit is { } kit)
        {
            if (ReferenceEquals(kit.Pool, pool))
            {
                return kit;
            }

            Return();
        }

        return _kit = pool.Rent();
    }

    /// <summary>Gives the kit back to its pool.</summary>
    public void Return()
    {
        if (_kit is { } kit)
        {
            _kit = null;
            kit.Pool.Return(kit);
        }
    }

    /// <summary>Lets go of the kit without returning it: a reader that is closed but not disposed may still reach it.</summary>
    public void Abandon() => _kit = null;
}
