using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DapperTenants.AspNetCore.Tests.Support;

/// <summary>Keeps every log event, for tests that assert what was logged.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(string Category, LogLevel Level, EventId Id, string Message)> Events { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Events.Enqueue((category, logLevel, eventId, formatter(state, exception)));
    }
}
