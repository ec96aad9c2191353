using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DapperTenants.Testing;

/// <summary>Runs server programs (PostgreSQL, PgBouncer), which refuse to run as root, as an unprivileged OS user when needed.</summary>
internal static class ServerProcess
{
    /// <summary>The user to run servers as: <see langword="null"/> when this process is not root.</summary>
    public static bool TryGetRunAs(out string? runAs)
    {
        runAs = null;
        if (!Environment.IsPrivilegedProcess)
        {
            return true;
        }

        runAs = UserExists("postgres") ? "postgres" : UserExists("nobody") ? "nobody" : null;
        return runAs is not null;
    }

    public static ProcessStartInfo StartInfo(string file, IReadOnlyList<string> arguments, string? runAs)
    {
        var start = new ProcessStartInfo
        {
            FileName = runAs is null ? file : "runuser",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (runAs is not null)
        {
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add(runAs);
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(file);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task WaitForPortAsync(int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public static async Task RunAsync(string file, IReadOnlyList<string> arguments, string? runAs, CancellationToken cancellationToken)
    {
        var start = StartInfo(file, arguments, runAs);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        output.Append(await stdout.ConfigureAwait(false)).Append(await stderr.ConfigureAwait(false));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} exited with {process.ExitCode}: {output.ToString().Trim()}");
        }
    }

    private static bool UserExists(string name) =>
        File.Exists("/etc/passwd") && File.ReadLines("/etc/passwd").Any(line => line.StartsWith(name + ":", StringComparison.Ordinal));
}
