namespace DapperTenants.Tests.Reliability;

/// <summary>What one fuzzer run did and found.</summary>
public sealed class FuzzReport
{
    private long _operations;
    private long _rowsChecked;
    private long _expectedFailures;
    private long _sessions;

    public string Setup { get; init; } = string.Empty;

    public long Operations => Interlocked.Read(ref _operations);

    public long RowsChecked => Interlocked.Read(ref _rowsChecked);

    public long ExpectedFailures => Interlocked.Read(ref _expectedFailures);

    public long Sessions => Interlocked.Read(ref _sessions);

    /// <summary>Every cross-tenant observation, each with the sequence of operations that produced it.</summary>
    public List<string> Leaks { get; } = [];

    /// <summary>Exceptions no operation expected.</summary>
    public List<string> Unexpected { get; } = [];

    public void Operation() => Interlocked.Increment(ref _operations);

    public void Rows(int count) => Interlocked.Add(ref _rowsChecked, count);

    public void ExpectedFailure() => Interlocked.Increment(ref _expectedFailures);

    public void Session() => Interlocked.Increment(ref _sessions);

    public void Leak(string description)
    {
        lock (Leaks)
        {
            Leaks.Add(description);
        }
    }

    public void Unexpect(string description)
    {
        lock (Unexpected)
        {
            Unexpected.Add(description);
        }
    }

    public override string ToString() =>
        $"{Setup,-44} sessions {Sessions,6}  operations {Operations,7}  rows checked {RowsChecked,8}  expected failures {ExpectedFailures,5}  leaks {Leaks.Count}";
}
