using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace DapperTenants.Tests.Reliability;

/// <summary>What one fuzzer run did and found.</summary>
/// <remarks>
/// Rows are counted where they were checked: <see cref="RowsRead"/> through tenant connections (each against the
/// reader's tenant), <see cref="ForeignCounts"/> for the <c>count(*) … where tenant &lt;&gt; @t</c> probes, and
/// <see cref="RowsVerified"/>/<see cref="CanariesVerified"/> in the superuser's scan afterwards. Only the first two
/// say anything about what a tenant saw, so only they are held against a floor.
/// </remarks>
public sealed class FuzzReport
{
    private readonly ConcurrentDictionary<string, long> _failures = new(StringComparer.Ordinal);
    private long _operations;
    private long _succeeded;
    private long _reads;
    private long _rowsRead;
    private long _foreignCounts;
    private long _rowsVerified;
    private long _canariesVerified;
    private long _sessions;
    private long _readOnlySessions;
    private long _readOnlyOnStandby;

    public string Setup { get; init; } = string.Empty;

    /// <summary>The seed of the workers' random generators (worker <c>w</c> uses <c>Seed * 1000 + w</c>).</summary>
    public int Seed { get; init; }

    public long Sessions => Interlocked.Read(ref _sessions);

    public long Operations => Interlocked.Read(ref _operations);

    /// <summary>Operations that ran to completion.</summary>
    public long Succeeded => Interlocked.Read(ref _succeeded);

    /// <summary>Read operations that completed, whatever they returned.</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>Rows a tenant connection returned, each checked against the connection's tenant.</summary>
    public long RowsRead => Interlocked.Read(ref _rowsRead);

    /// <summary><c>count(*)</c> probes of other tenants' rows through a tenant connection (each must be 0).</summary>
    public long ForeignCounts => Interlocked.Read(ref _foreignCounts);

    /// <summary>Rows the superuser's scan checked afterwards (writer recorded in the payload = the row's tenant).</summary>
    public long RowsVerified => Interlocked.Read(ref _rowsVerified);

    /// <summary>Canary rows (the seed rows, which no tenant's own operations touch) found intact afterwards.</summary>
    public long CanariesVerified => Interlocked.Read(ref _canariesVerified);

    /// <summary>Failures of operations that exist to fail (failing statements, timeouts, cancellations, upserts onto other tenants' rows), by reason.</summary>
    public long DeliberateFailures => _failures.Where(f => f.Key.StartsWith(FuzzFailures.Deliberate, StringComparison.Ordinal)).Sum(f => f.Value);

    /// <summary>Failures that follow from a deliberate one or from concurrency (an aborted scope, a broken connection, a race), by reason.</summary>
    public long CollateralFailures => _failures.Where(f => f.Key.StartsWith(FuzzFailures.Collateral, StringComparison.Ordinal)).Sum(f => f.Value);

    /// <summary>The share of operations that failed as collateral damage.</summary>
    public double CollateralShare => Operations == 0 ? 0 : (double)CollateralFailures / Operations;

    /// <summary>The share of operations that failed on purpose.</summary>
    public double DeliberateShare => Operations == 0 ? 0 : (double)DeliberateFailures / Operations;

    /// <summary>Every cross-tenant observation, each with the sequence of operations that produced it.</summary>
    public List<string> Leaks { get; } = [];

    /// <summary>Exceptions no operation expected.</summary>
    public List<string> Unexpected { get; } = [];

    public void Operation() => Interlocked.Increment(ref _operations);

    public void Success() => Interlocked.Increment(ref _succeeded);

    public void Read(int rows)
    {
        Interlocked.Increment(ref _reads);
        Interlocked.Add(ref _rowsRead, rows);
    }

    public void ForeignCount() => Interlocked.Increment(ref _foreignCounts);

    public void Verified(int rows) => Interlocked.Add(ref _rowsVerified, rows);

    public void CanaryIntact() => Interlocked.Increment(ref _canariesVerified);

    public void Failure(string reason) => _failures.AddOrUpdate(reason, 1, (_, n) => n + 1);

    public void Session() => Interlocked.Increment(ref _sessions);

    /// <summary>Read-only leases (<see cref="FuzzSetup.ReadOnlySessions"/>), and how many of them a standby served.</summary>
    public long ReadOnlySessions => Interlocked.Read(ref _readOnlySessions);

    public long ReadOnlyOnStandby => Interlocked.Read(ref _readOnlyOnStandby);

    public void ReadOnlySession(bool onStandby)
    {
        Interlocked.Increment(ref _readOnlySessions);
        if (onStandby)
        {
            Interlocked.Increment(ref _readOnlyOnStandby);
        }
    }

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

    /// <summary>The one line the log carries per setup (the README quotes these lines).</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Setup}: seed {Seed}, {Sessions} sessions, {Operations} operations ({Succeeded} succeeded, {DeliberateFailures} failed on purpose = {DeliberateShare:P1}, "
        + $"{CollateralFailures} collateral = {CollateralShare:P1}), {RowsRead} rows read and {ForeignCounts} foreign counts checked, "
        + $"{RowsVerified} rows and {CanariesVerified} canaries verified, {Leaks.Count} leaks")
        + (ReadOnlySessions == 0
            ? string.Empty
            : string.Create(CultureInfo.InvariantCulture, $"; {ReadOnlySessions} read-only sessions, {ReadOnlyOnStandby} of them on a standby"));

    /// <summary>Every failure reason with its count, for the test output.</summary>
    public string FailureBreakdown()
    {
        var text = new StringBuilder();
        foreach (var (reason, count) in _failures.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"    {count,6}  {reason}").AppendLine();
        }

        return text.ToString();
    }
}
