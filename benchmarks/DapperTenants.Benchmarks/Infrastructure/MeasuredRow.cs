namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// One variant's figures per operation from an interleaved run (<see cref="InterleavedRun"/>): wall time, the calling
/// thread's CPU, the backend's CPU (null when it cannot be read or the backend changed), bytes allocated on the calling
/// thread, and round trips (null until counted through a <see cref="RoundTripProxy"/>).
/// </summary>
internal sealed record MeasuredRow(string Name, double Wall, double? ClientCpu, double? ServerCpu, double Allocated, double? RoundTrips = null);
