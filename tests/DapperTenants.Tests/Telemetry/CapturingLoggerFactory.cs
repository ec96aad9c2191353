using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DapperTenants.Tests.Telemetry;

/// <summary>A logger factory that keeps every event, for tests of what the library logs.</summary>
public sealed class CapturingLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<LogEvent> Events { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    public sealed record LogEvent(string Category, LogLevel Level, EventId Id, string Message, Exception? Exception, IReadOnlyList<KeyValuePair<string, object?>> State);

    private sealed class Logger(CapturingLoggerFactory factory, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            factory.Events.Enqueue(new LogEvent(category, logLevel, eventId, formatter(state, exception), exception,
                state as IReadOnlyList<KeyValuePair<string, object?>> ?? []));
    }
}
