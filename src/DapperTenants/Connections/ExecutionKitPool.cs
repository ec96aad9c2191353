using Npgsql;
using NpgsqlTypes;

namespace DapperTenants.Connections;

/// <summary>A small, lock-free, bounded pool of <see cref="ExecutionKit"/>s, one per data source.</summary>
internal sealed class ExecutionKitPool
{
    private readonly ExecutionKit?[] _slots = new ExecutionKit?[Math.Max(8, Environment.ProcessorCount * 4)];
    private readonly string _contextSql;

    public ExecutionKitPool(string contextSql)
    {
        _contextSql = contextSql;
    }

    public ExecutionKit Rent()
    {
        var slots = _slots;
        for (var i = 0; i < slots.Length; i++)
        {
            if (Volatile.Read(ref slots[i]) is not null && Interlocked.Exchange(ref slots[i], null) is { } kit)
            {
                return kit;
            }
        }

        var context = new NpgsqlBatchCommand(_contextSql);
        context.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text });
        return new ExecutionKit(this, context);
    }

    public void Return(ExecutionKit kit)
    {
        kit.Clear();
        var slots = _slots;
        for (var i = 0; i < slots.Length; i++)
        {
            if (Volatile.Read(ref slots[i]) is null && Interlocked.CompareExchange(ref slots[i], kit, null) is null)
            {
                return;
            }
        }
    }
}
