namespace DapperTenants.Cli.Audit;

/// <summary>
/// The audit's progress on standard error: one line, rewritten in place at each step and erased before the report. Only
/// on a terminal and for the human forms (text, markdown); when standard error is redirected, or the report is JSON or
/// SARIF, it writes nothing, so logs and pipes see no progress noise.
/// </summary>
internal sealed class AuditProgress : IProgress<string>, IDisposable
{
    // Carriage return, then ANSI "erase the whole line".
    private const string EraseLine = "\r\u001b[2K";

    private readonly TextWriter _error;
    private readonly TimeProvider _time;
    private readonly long _start;
    private bool _written;

    /// <summary>Progress on <paramref name="error"/> when <paramref name="enabled"/>; nothing otherwise.</summary>
    public AuditProgress(TextWriter error, bool enabled, TimeProvider? time = null)
    {
        _error = error;
        Enabled = enabled;
        _time = time ?? TimeProvider.System;
        _start = _time.GetTimestamp();
    }

    /// <summary>Whether it writes anything.</summary>
    public bool Enabled { get; }

    /// <summary>Whether progress shows for a report in <paramref name="form"/> written by <paramref name="context"/>.</summary>
    public static bool Shows(CliContext context, string? form) =>
        form is "text" or "markdown" && ReferenceEquals(context.Error, Console.Error) && !Console.IsErrorRedirected;

    public void Report(string value)
    {
        if (!Enabled)
        {
            return;
        }

        var elapsed = _time.GetElapsedTime(_start).TotalSeconds;
        _error.Write(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{EraseLine}{value} ({elapsed:0.0} s)"));
        _error.Flush();
        _written = true;
    }

    /// <summary>Erases the progress line, so the report (or an error) starts on a clean line.</summary>
    public void Dispose()
    {
        if (_written)
        {
            _error.Write(EraseLine);
            _error.Flush();
            _written = false;
        }
    }
}
