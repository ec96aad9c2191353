using BenchmarkDotNet.Attributes;
using Dapper;
using DapperTenants.Benchmarks.Infrastructure;
using Npgsql;

namespace DapperTenants.Benchmarks.Scenarios;

/// <summary>
/// Scenario 5, what <see cref="PolicyInstaller.ApplyAsync"/> costs at application startup on 200 tables (20 with
/// <c>--job dry</c>; <c>--installer-tables N</c> to change): from scratch, and the idempotent re-run every later
/// startup pays. Target: re-run ≤ 100 ms for 200 tables.
/// </summary>
/// <remarks>
/// <para>
/// The tables (<see cref="InstallerTables"/>: schema <c>bench_installer</c>, a text tenant column leading the primary key)
/// are created once per case in the global setup, as the owner; the installer connects as the owner too, through a data
/// source of its own. The <c>[Rls]</c> types are emitted at run time, one per table.
/// </para>
/// <para>
/// <see cref="Apply_FromScratch"/>: before every iteration (<c>[IterationSetup]</c>, not measured) all policies are dropped,
/// RLS is disabled and un-forced and the tenant defaults are dropped, so each iteration plans and applies 4 steps per
/// table (enable, force, create policy, set default) in one transaction; BenchmarkDotNet runs a method with an iteration
/// setup once per iteration (the table's <c>InvocationCount</c> 1). <see cref="Apply_ReRun"/>: the same call on the
/// secured tables, which reads the catalog, finds nothing to do and sends no DDL; it keeps the usual invocation counts.
/// The two are different situations, not competitors: there is no baseline and no ratio.
/// </para>
/// </remarks>
[MemoryDiagnoser]
public class InstallerCost
{
    private InstallerTables _tables = null!;
    private NpgsqlDataSource _owner = null!;
    private PolicyInstaller _installer = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _tables = InstallerTables.FromEnvironment();
        _owner = NpgsqlDataSource.Create(BenchDataSources.OwnerConnectionString);
        await using (var connection = await _owner.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(_tables.CreateSql());
        }

        _installer = new PolicyInstaller(_owner);
        foreach (var type in _tables.EmitTypes())
        {
            _installer.Add(type);
        }

        // From scratch, every table needs its four steps and nothing else; the re-run then finds nothing to do. (The
        // signed context's tables in public carry the installer's policy too, so this installer warns that no type of
        // its own maps them; only warnings about its own schema count.)
        var first = await _installer.ApplyAsync();
        var ownWarnings = first.Warnings.Where(w => w.Contains($"\"{InstallerTables.Schema}\".", StringComparison.Ordinal)).ToList();
        Verify.That(!first.HasErrors && ownWarnings.Count == 0, "InstallerCost: the first apply reported errors or warnings: "
            + string.Join(" | ", first.Errors.Concat(ownWarnings)));
        Verify.That(first.Steps.Count == 4 * _tables.Count, $"InstallerCost: the first apply planned {first.Steps.Count} steps, expected {4 * _tables.Count}.");
        Verify.That(await StateAsync() == 3 * _tables.Count, "InstallerCost: after the first apply, some table lacks its policy, RLS or tenant default.");
        Verify.That((await _installer.ApplyAsync()).IsEmpty, "InstallerCost: the re-run found something to do; it would not measure the idempotent path.");

        // The reset must undo the apply entirely, or the from-scratch case would measure a partial re-run.
        Reset();
        Verify.That(await StateAsync() == 0, "InstallerCost: the reset left policies, RLS or tenant defaults behind.");
        Verify.That((await _installer.ApplyAsync()).Steps.Count == 4 * _tables.Count, "InstallerCost: after the reset, the apply did not start from scratch.");
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await using (var connection = await _owner.OpenConnectionAsync())
        {
            await connection.ExecuteAsync($"drop schema if exists {InstallerTables.Schema} cascade");
        }

        await _owner.DisposeAsync();
    }

    /// <summary>Undoes the installer's work on every table (synchronously: an iteration setup is not awaited).</summary>
    [IterationSetup(Target = nameof(Apply_FromScratch))]
    public void Reset()
    {
        using var connection = _owner.OpenConnection();
        connection.Execute(InstallerTables.ResetSql);
    }

    [Benchmark]
    public Task<PolicyPlan> Apply_FromScratch() => _installer.ApplyAsync();

    [Benchmark]
    public Task<PolicyPlan> Apply_ReRun() => _installer.ApplyAsync();

    private async Task<long> StateAsync()
    {
        await using var connection = await _owner.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(InstallerTables.StateSql);
    }
}
