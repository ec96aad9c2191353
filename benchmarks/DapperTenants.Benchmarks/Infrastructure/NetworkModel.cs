namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>
/// What a loopback measurement means on a real network, computed (not measured): one operation takes the client's CPU
/// time, the server's CPU time and one network round-trip time per round trip, one after the other.
/// </summary>
/// <remarks>
/// T(RTT) = client thread CPU + server backend CPU + round trips × RTT. It leaves out what the loopback wall time holds
/// beyond the two CPU figures (the client's wake-ups, its other threads competing with the server for this machine's two
/// cores; see <c>wakeups</c>), and assumes the network adds nothing per byte: the responses here are a few hundred bytes.
/// </remarks>
internal static class NetworkModel
{
    /// <summary>The round-trip times the reports compute for, in µs: a LAN in one data centre, and across zones.</summary>
    public static readonly double[] RoundTripTimes = [200, 1000];

    public const string Formula = "T(RTT) = client thread CPU + server backend CPU + round trips × RTT";

    /// <summary>T(<paramref name="rtt"/>) in µs, or null when a figure is missing.</summary>
    public static double? Time(MeasuredRow row, double rtt) => row.ClientCpu + row.ServerCpu + (row.RoundTrips * rtt);

    public static string Label(double rtt) => rtt >= 1000 ? $"{rtt / 1000:0.#} ms" : $"{rtt / 1000:0.0#} ms";
}
