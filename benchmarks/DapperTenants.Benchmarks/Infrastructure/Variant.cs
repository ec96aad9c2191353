namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// One way of doing a scenario's operation, synchronous, for the diagnoses: <see cref="Run"/> does operation <c>i</c>
/// and says whether it got the expected rows; <see cref="BackendPid"/> names the server process of its pool.
/// </summary>
internal sealed record Variant(string Name, Func<int, bool> Run, Func<int> BackendPid);
