using System.Data.Common;
using Npgsql;

namespace DapperTenants.Connections;

/// <summary>The commands of a <see cref="TenantBatch"/>: the caller's <see cref="NpgsqlBatchCommand"/>s, in order.</summary>
internal sealed class TenantBatchCommandCollection : DbBatchCommandCollection
{
    private readonly List<NpgsqlBatchCommand> _commands = [];

    public override int Count => _commands.Count;

    public override bool IsReadOnly => false;

    internal List<NpgsqlBatchCommand> Items => _commands;

    public override void Add(DbBatchCommand item) => _commands.Add(Cast(item));

    public override void Clear() => _commands.Clear();

    public override bool Contains(DbBatchCommand item) => item is NpgsqlBatchCommand command && _commands.Contains(command);

    public override void CopyTo(DbBatchCommand[] array, int arrayIndex)
    {
        ArgumentNullException.ThrowIfNull(array);
        for (var i = 0; i < _commands.Count; i++)
        {
            array[arrayIndex + i] = _commands[i];
        }
    }

    public override IEnumerator<DbBatchCommand> GetEnumerator() => _commands.GetEnumerator();

    public override int IndexOf(DbBatchCommand item) => item is NpgsqlBatchCommand command ? _commands.IndexOf(command) : -1;

    public override void Insert(int index, DbBatchCommand item) => _commands.Insert(index, Cast(item));

    public override bool Remove(DbBatchCommand item) => item is NpgsqlBatchCommand command && _commands.Remove(command);

    public override void RemoveAt(int index) => _commands.RemoveAt(index);

    protected override DbBatchCommand GetBatchCommand(int index) => _commands[index];

    protected override void SetBatchCommand(int index, DbBatchCommand batchCommand) => _commands[index] = Cast(batchCommand);

    private static NpgsqlBatchCommand Cast(DbBatchCommand item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return item as NpgsqlBatchCommand ?? throw new ArgumentException(
            $"A batch of a TenantConnection holds NpgsqlBatchCommand objects, not a {item.GetType().Name}. Create them with batch.CreateBatchCommand().",
            nameof(item));
    }
}
